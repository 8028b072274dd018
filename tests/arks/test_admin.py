"""The admin, walked as a logged-in superuser: NAAN delegation, keys, and read-mostly ARKs.

Forms are posted the way a browser would send them: the fields are read from the rendered page
(``form_fields``), a few are changed, and the whole form goes back.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arks import services
from arks.admin import ArkAdmin, EstimatedCountPaginator
from arks.models import ApiKey, Ark, ArkEvent, Naan, Organization, RegistryNaan, Shoulder
from tests import factories

pytestmark = pytest.mark.django_db

USERNAME = "curator"
ACTOR = "test:admin"
# A 'reedk' template: generator r, then e e d (29 * 29 * 10 names), then a check character.
REEDK_CAPACITY = 29 * 29 * 10


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """Creating a superuser with the real hasher costs half a second per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(client: Any) -> Any:
    """The test client, logged in as a real superuser."""
    user = get_user_model().objects.create_superuser(
        USERNAME, "curator@example.org", "a-long-Passphrase-42"
    )
    client.force_login(user)
    return client


class _FormFields(HTMLParser):
    """What a browser submits from the form with ``form_id``: disabled fields, unchecked boxes
    and buttons are left out."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or ("name" in a and "disabled" in a):
            return
        if tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and "name" in a:
            self._select, self._select_first, self._select_chosen = a["name"], None, False
        elif tag == "option" and self._select is not None:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self._add(self._select, a.get("value", ""))
                self._select_chosen = True
        elif tag == "textarea" and "name" in a:
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_fields(response: Any, form_id: str) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    assert parser.data, f"no form #{form_id} on the page"
    return parser.data


def inline_rows(response: Any, prefix: str) -> list[dict[str, str]]:
    """The text of each cell (``field-<name>``) of the saved rows of a tabular inline."""
    html = response.content.decode()
    rows = re.findall(
        rf'<tr class="form-row[^"]*has_original[^"]*"\s+id="{prefix}-\d+">(.*?)</tr>', html, re.S
    )
    return [
        {
            name: _cell_text(cell)
            for name, cell in re.findall(r'<td class="field-([\w]+)">(.*?)</td>', row, re.S)
        }
        for row in rows
    ]


def _cell_text(cell: str) -> str:
    """A cell's text, or the value of the (text) input it holds."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
    value = re.search(r'<input type="text"[^>]* value="([^"]*)"', cell)
    return text or (unescape(value.group(1)) if value else "")


def page_messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def listed(response: Any) -> set[str]:
    """The ARK strings on the shown change list page."""
    assert response.status_code == 200, response.status_code
    return {ark.ark for ark in response.context["cl"].result_list}


def shoulder_formset(response: Any) -> Any:
    (inline,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "shoulders"
    ]
    return inline.formset


def mint(shoulder: Shoulder, count: int = 1, **data: Any) -> list[Ark]:
    return services.mint(shoulder=shoulder, actor=ACTOR, count=count, data=services.ArkData(**data))


def naan_url(naan: Naan) -> str:
    return reverse("admin:arks_naan_change", args=[naan.pk])


def ark_url(ark: Ark) -> str:
    return reverse("admin:arks_ark_change", args=[ark.pk])


ARK_LIST = reverse("admin:arks_ark_changelist")


# --- every page opens -------------------------------------------------------------------------


def test_admin_pages_need_a_staff_login(client):
    response = client.get(ARK_LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_index_lists_the_identifier_models(browser):
    response = browser.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for url_name in ("naan", "organization", "apikey", "ark", "registrynaan"):
        assert reverse(f"admin:arks_{url_name}_changelist") in html
    assert "NAANs" in html and "ARKs" in html and "API keys" in html


def test_naan_changelist_shows_each_naan_with_holder_and_number_of_shoulders(browser):
    holder = factories.organization("Biblioteca Nacional")
    factories.naan("12345", holder=holder)
    factories.shoulder("b5", naan_code="12345")
    factories.shoulder("c6", naan_code="12345")
    factories.shoulder("fk4", naan_code="99999")

    response = browser.get(reverse("admin:arks_naan_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Biblioteca Nacional" in html
    rows = {
        naan: count
        for naan, count in re.findall(
            r'<th class="field-naan"><a [^>]*>(\w+)</a></th>.*?'
            r'<td class="field-shoulder_count">(\d+)</td>',
            html,
            re.S,
        )
    }
    assert rows == {"12345": "2", "99999": "1"}


def test_registry_naan_list_opens_and_is_read_only(browser):
    RegistryNaan.objects.create(naan="13030", name="California Digital Library", acronym="CDL")

    response = browser.get(reverse("admin:arks_registrynaan_changelist"))

    assert response.status_code == 200
    assert "California Digital Library" in response.content.decode()
    assert reverse("admin:arks_registrynaan_add") not in response.content.decode()
    assert browser.get(reverse("admin:arks_registrynaan_add")).status_code == 403


# --- the NAAN page: shoulders, minted and remaining --------------------------------------------


def test_naan_page_shows_each_shoulders_minted_and_remaining_names(browser):
    org = factories.organization("Repositorio Institucional")
    unlimited = factories.shoulder("fk4", template="zeedk", org=org)
    bounded = factories.shoulder("b5", template="reedk", org=org)
    untouched = factories.shoulder("c7", template="reedk", org=org)
    mint(unlimited, 3)
    mint(bounded, 1234)

    response = browser.get(naan_url(unlimited.naan))

    assert response.status_code == 200
    rows = {row["prefix"]: row for row in inline_rows(response, "shoulders")}
    assert set(rows) == {"fk4", "b5", "c7"}
    assert (rows["fk4"]["minted"], rows["fk4"]["remaining"]) == ("3", "unlimited")
    assert (rows["b5"]["minted"], rows["b5"]["remaining"]) == ("1234", f"{REEDK_CAPACITY - 1234:,}")
    assert rows["b5"]["remaining"] == "7,176"  # thousands separator
    assert (rows["c7"]["minted"], rows["c7"]["remaining"]) == ("0", "8,410")
    assert Shoulder.objects.get(pk=untouched.pk).counter == 0
    assert "Repositorio Institucional" in rows["b5"]["organization"]


def test_naan_page_counts_follow_minting(browser):
    shoulder = factories.shoulder("b5", template="reedk")
    before = {
        r["prefix"]: r for r in inline_rows(browser.get(naan_url(shoulder.naan)), "shoulders")
    }
    mint(shoulder, 10)
    after = {r["prefix"]: r for r in inline_rows(browser.get(naan_url(shoulder.naan)), "shoulders")}

    assert (before["b5"]["minted"], before["b5"]["remaining"]) == ("0", "8,410")
    assert (after["b5"]["minted"], after["b5"]["remaining"]) == ("10", "8,400")


# --- delegating shoulders through the NAAN form ------------------------------------------------


def delegation_form(
    browser: Any, naan: Naan, rows: list[dict[str, Any]]
) -> tuple[dict[str, list[str]], int]:
    """The NAAN form as rendered, with ``rows`` filled into new inline rows."""
    data = form_fields(browser.get(naan_url(naan)), "naan_form")
    initial = int(data["shoulders-INITIAL_FORMS"][0])
    for index, row in enumerate(rows, start=initial):
        prefix = f"shoulders-{index}-"
        data[prefix + "naan"] = [str(naan.pk)]
        data[prefix + "is_active"] = ["on"]
        data[prefix + "template"] = ["zeedk"]
        for name, value in row.items():
            if value is False:
                data.pop(prefix + name, None)
            else:
                data[prefix + name] = ["on" if value is True else str(value)]
    data["shoulders-TOTAL_FORMS"] = [str(initial + len(rows))]
    return data, initial


def test_delegating_a_shoulder_through_the_naan_form_creates_it_for_the_organisation(browser):
    holder = factories.organization("Consorcio de Bibliotecas")
    member = factories.organization("Universidad Miembro")
    naan = factories.naan("12345", holder=holder)
    factories.shoulder("fk4", naan_code="12345", org=holder)
    data, _ = delegation_form(
        browser,
        naan,
        [{"prefix": "b7", "organization": member.pk, "template": "reedk",
          "persistence_statement": "Kept for 20 years."}],
    )  # fmt: skip

    response = browser.post(naan_url(naan), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("admin:arks_naan_changelist")
    shoulder = Shoulder.objects.get(naan=naan, prefix="b7")
    assert shoulder.organization == member
    assert shoulder.template == "reedk"
    assert shoulder.persistence_statement == "Kept for 20 years."
    assert (shoulder.counter, shoulder.is_active, shoulder.is_test) == (0, True, False)
    assert Shoulder.objects.filter(naan=naan).count() == 2
    # The admin's history says what happened.
    entry = LogEntry.objects.get(object_id=str(naan.pk))
    assert "ark:12345/b7" in entry.get_change_message()
    # The new shoulder can mint, and its page shows it.
    (ark,) = mint(shoulder)
    assert ark.ark.startswith("ark:12345/b7") and ark.owner == member
    rows = {r["prefix"]: r for r in inline_rows(browser.get(naan_url(naan)), "shoulders")}
    assert (rows["b7"]["minted"], rows["b7"]["remaining"]) == ("1", f"{REEDK_CAPACITY - 1:,}")


def test_a_new_naan_and_its_first_shoulder_can_be_added_in_one_form(browser):
    holder = factories.organization("Archivo General")
    data = form_fields(browser.get(reverse("admin:arks_naan_add")), "naan_form")
    data.update(
        {
            "naan": ["b2345"],
            "holder": [str(holder.pk)],
            "shoulders-0-prefix": ["x5"],
            "shoulders-0-organization": [str(holder.pk)],
            "shoulders-0-template": ["seeek"],
        }
    )

    response = browser.post(reverse("admin:arks_naan_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    naan = Naan.objects.get(naan="b2345")
    assert (naan.holder, naan.served) == (holder, True)
    shoulder = Shoulder.objects.get(naan=naan)
    assert (shoulder.prefix, shoulder.template, shoulder.organization) == ("x5", "seeek", holder)


def test_two_new_shoulders_can_be_delegated_in_one_post(browser):
    naan = factories.naan("12345")
    org = factories.organization()
    data, _ = delegation_form(
        browser,
        naan,
        [{"prefix": "b5", "organization": org.pk}, {"prefix": "c6", "organization": org.pk}],
    )

    response = browser.post(naan_url(naan), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(Shoulder.objects.filter(naan=naan).values_list("prefix", flat=True)) == {"b5", "c6"}


@pytest.mark.parametrize(
    ("new_prefixes", "message"),
    [
        (["fk"], "overlaps the shoulder 'fk4'"),  # a prefix of the stored shoulder
        (["fk45"], "overlaps the shoulder 'fk4'"),  # the stored shoulder is its prefix
        (["fk4"], "duplicate data for prefix"),  # the same (the formset's own check)
        (["b5", "b58"], "overlaps the shoulder 'b5'"),  # two new rows overlapping each other
    ],
)
def test_overlapping_shoulders_are_refused_with_a_form_error(browser, new_prefixes, message):
    org = factories.organization()
    existing = factories.shoulder("fk4", naan_code="12345", org=org)
    data, first_new = delegation_form(
        browser, existing.naan, [{"prefix": p, "organization": org.pk} for p in new_prefixes]
    )

    response = browser.post(naan_url(existing.naan), data)

    assert response.status_code == 200
    formset = shoulder_formset(response)
    last = formset.forms[first_new + len(new_prefixes) - 1]
    errors = [*last.errors.get("prefix", []), *formset.non_form_errors()]
    assert any(message in error for error in errors), errors
    assert message in unescape(response.content.decode())
    assert list(Shoulder.objects.values_list("prefix", flat=True)) == ["fk4"]


@pytest.mark.parametrize("template", ["zqq", "kd", "reedx", "", "fk9.zeedk"])
def test_an_invalid_template_is_refused_with_a_form_error(browser, template):
    naan = factories.naan("12345")
    org = factories.organization()
    data, first_new = delegation_form(
        browser, naan, [{"prefix": "b5", "organization": org.pk, "template": template}]
    )

    response = browser.post(naan_url(naan), data)

    assert response.status_code == 200
    assert shoulder_formset(response).forms[first_new].errors["template"]
    assert "errorlist" in response.content.decode()
    assert not Shoulder.objects.exists()


@pytest.mark.parametrize("prefix", ["FK4", "l5", "b-5", "b 5"])
def test_a_prefix_that_is_not_betanumeric_is_refused(browser, prefix):
    naan = factories.naan("12345")
    org = factories.organization()
    data, first_new = delegation_form(browser, naan, [{"prefix": prefix, "organization": org.pk}])

    response = browser.post(naan_url(naan), data)

    assert response.status_code == 200
    assert shoulder_formset(response).forms[first_new].errors["prefix"]
    assert not Shoulder.objects.exists()


def test_a_new_shoulder_needs_an_organisation(browser):
    naan = factories.naan("12345")
    data, first_new = delegation_form(browser, naan, [{"prefix": "b5"}])

    response = browser.post(naan_url(naan), data)

    assert response.status_code == 200
    assert shoulder_formset(response).forms[first_new].errors["organization"]
    assert not Shoulder.objects.exists()


def test_prefix_and_template_of_an_existing_shoulder_cannot_be_changed(browser):
    org, other = factories.organization(), factories.organization("Otra Universidad")
    shoulder = factories.shoulder("fk4", template="zeedk", naan_code="12345", org=org)
    mint(shoulder, 2)
    response = browser.get(naan_url(shoulder.naan))
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="shoulders-0-prefix"[^>]*disabled', html)
    assert re.search(r'<input[^>]*name="shoulders-0-template"[^>]*disabled', html)
    data = form_fields(response, "naan_form")
    data.update(
        {
            "shoulders-0-prefix": ["b5"],  # a tampered POST: the fields are disabled in the page
            "shoulders-0-template": ["reedk"],
            "shoulders-0-organization": [str(other.pk)],
            "shoulders-0-persistence_statement": ["Now kept by another university."],
        }
    )
    data.pop("shoulders-0-is_active")

    response = browser.post(naan_url(shoulder.naan), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    shoulder.refresh_from_db()
    assert (shoulder.prefix, shoulder.template, shoulder.counter) == ("fk4", "zeedk", 2)
    # The mutable fields did change, so the POST was accepted and saved.
    assert shoulder.organization == other and shoulder.is_active is False
    assert shoulder.persistence_statement == "Now kept by another university."
    assert Shoulder.objects.count() == 1


def test_shoulders_cannot_be_deleted_from_the_naan_page(browser):
    shoulder = factories.shoulder("fk4", naan_code="12345")
    response = browser.get(naan_url(shoulder.naan))
    assert "shoulders-0-DELETE" not in response.content.decode()
    data = form_fields(response, "naan_form")
    data["shoulders-0-DELETE"] = ["on"]

    response = browser.post(naan_url(shoulder.naan), data)

    assert response.status_code == 302
    assert Shoulder.objects.filter(pk=shoulder.pk).exists()


def test_the_naan_of_an_existing_naan_cannot_be_renamed(browser):
    shoulder = factories.shoulder("fk4", naan_code="12345")
    mint(shoulder, 1)
    response = browser.get(naan_url(shoulder.naan))
    assert not re.search(r'<input[^>]*name="naan"', response.content.decode())
    data = form_fields(response, "naan_form")
    data["naan"] = ["54321"]
    data["policy_statement"] = ["Our commitment."]

    response = browser.post(naan_url(shoulder.naan), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Naan.objects.values_list("naan", "policy_statement")) == [
        ("12345", "Our commitment.")
    ]
    assert Shoulder.objects.get(pk=shoulder.pk).naan.naan == "12345"


@pytest.mark.parametrize("forward_to", ["javascript:alert(1)", "ftp://example.org/${content}"])
def test_an_unsafe_forwarding_target_is_a_form_error_not_a_crash(browser, forward_to):
    holder = factories.organization()
    data = form_fields(browser.get(reverse("admin:arks_naan_add")), "naan_form")
    data.update({"naan": ["13030"], "holder": [str(holder.pk)], "forward_to": [forward_to]})

    response = browser.post(reverse("admin:arks_naan_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["forward_to"]
    assert not Naan.objects.exists()


def test_a_naan_served_elsewhere_is_saved_with_its_forwarding_template(browser):
    holder = factories.organization()
    data = form_fields(browser.get(reverse("admin:arks_naan_add")), "naan_form")
    data.update(
        {"naan": ["13030"], "holder": [str(holder.pk)],
         "forward_to": ["https://other.example.org/${content}"]}
    )  # fmt: skip

    response = browser.post(reverse("admin:arks_naan_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    naan = Naan.objects.get(naan="13030")
    assert (naan.served, naan.forward_to) == (False, "https://other.example.org/${content}")


# --- organisations and API keys ----------------------------------------------------------------


def test_organisation_page_lists_its_shoulders_keys_and_the_link_to_issue_a_key(browser):
    org = factories.organization("Universidad de Ejemplo")
    shoulder = factories.shoulder("b5", template="reedk", naan_code="12345", org=org)
    factories.shoulder("fk4", naan_code="12345")  # another organisation's
    mint(shoulder, 5)
    api_key, key = services.issue_api_key(organization=org, name="repository")

    response = browser.get(reverse("admin:arks_organization_change", args=[org.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    (row,) = inline_rows(response, "shoulders")
    assert row["shoulder_link"] == "ark:12345/b5"
    assert (row["template"], row["minted"], row["remaining"]) == ("reedk", "5", "8,405")
    assert naan_url(shoulder.naan) in html
    (key_row,) = inline_rows(response, "api_keys")
    assert (key_row["prefix"], key_row["name"]) == (api_key.prefix, "repository")
    assert reverse("admin:arks_apikey_add") + f"?organization={org.pk}" in html
    assert "Issue a new API key" in html
    assert key not in html


def test_api_key_add_page_preselects_the_organisation(browser):
    org = factories.organization("Universidad de Ejemplo")

    response = browser.get(reverse("admin:arks_apikey_add") + f"?organization={org.pk}")

    assert response.status_code == 200
    assert form_fields(response, "apikey_form")["organization"] == [str(org.pk)]
    assert re.search(
        rf'<option value="{org.pk}" selected>Universidad de Ejemplo</option>',
        response.content.decode(),
    )


def test_issuing_an_api_key_shows_it_once_and_stores_only_its_hash(browser):
    org = factories.organization("Universidad de Ejemplo")
    add_url = reverse("admin:arks_apikey_add") + f"?organization={org.pk}"
    data = form_fields(browser.get(add_url), "apikey_form")
    data["name"] = ["repository ingest"]

    response = browser.post(add_url, data, follow=True)

    assert response.status_code == 200
    shown = [m for m in page_messages(response) if "copy it now" in m]
    assert len(shown) == 1
    key = re.search(r" is: (\S+) — copy it now", shown[0]).group(1)
    assert key in response.content.decode()
    stored = ApiKey.objects.get()
    assert (stored.organization, stored.name, stored.revoked) == (org, "repository ingest", False)
    assert key.startswith(stored.prefix + ".")
    secret = key.partition(".")[2]
    for field in ApiKey._meta.concrete_fields:
        value = str(field.value_from_object(stored))
        assert key not in value and secret not in value, field.name
    assert ApiKey.objects.is_valid(key)
    assert not ApiKey.objects.is_valid(key[:-1] + ("a" if key[-1] != "a" else "b"))
    # The message and the admin's history name the key by its prefix.
    assert any(
        f"{stored.prefix}…" in m and "added successfully" in m for m in page_messages(response)
    )
    assert LogEntry.objects.get(object_id=stored.pk).object_repr.startswith(stored.prefix)
    # Shown once: neither the key's page nor the organisation's page show it again.
    again = browser.get(reverse("admin:arks_apikey_change", args=[stored.pk]))
    assert again.status_code == 200 and secret not in again.content.decode()
    assert not [m for m in page_messages(again) if "copy it now" in m]
    org_page = browser.get(reverse("admin:arks_organization_change", args=[org.pk]))
    assert secret not in org_page.content.decode()
    assert stored.prefix in org_page.content.decode()


def test_an_expiry_date_chosen_when_issuing_a_key_is_kept(browser):
    org = factories.organization()
    add_url = reverse("admin:arks_apikey_add") + f"?organization={org.pk}"
    data = form_fields(browser.get(add_url), "apikey_form")
    data.update(
        {"name": ["short-lived"], "expiry_date_0": ["2030-01-31"], "expiry_date_1": ["12:00:00"]}
    )

    response = browser.post(add_url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    stored = ApiKey.objects.get()
    assert stored.expiry_date is not None
    assert stored.expiry_date.date().isoformat() == "2030-01-31"


def test_revoking_a_key_in_the_admin_makes_it_invalid(browser):
    org = factories.organization()
    api_key, key = services.issue_api_key(organization=org, name="old")
    url = reverse("admin:arks_apikey_change", args=[api_key.pk])
    data = form_fields(browser.get(url), "apikey_form")
    data["revoked"] = ["on"]

    response = browser.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert ApiKey.objects.get(pk=api_key.pk).revoked is True
    assert not ApiKey.objects.is_valid(key)


# --- the ARK page: read-mostly, history inline, no delete -------------------------------------


@pytest.fixture
def public_ark() -> Ark:
    shoulder = factories.shoulder("fk4", org=factories.organization("Universidad de Ejemplo"))
    (ark,) = mint(
        shoulder, state="public", target="https://repo.example.org/item/1", who="Pérez, Ana"
    )
    return ark


def test_ark_page_shows_the_ark_and_its_history(browser, public_ark):
    response = browser.get(ark_url(public_ark))

    assert response.status_code == 200
    html = response.content.decode()
    assert public_ark.ark in html
    assert "https://repo.example.org/item/1" in html
    (event,) = inline_rows(response, "events")
    assert event["actor"] == ACTOR
    assert event["action"] == "minted"
    assert "https://repo.example.org/item/1" in event["changes"]


def test_ark_page_has_no_add_and_no_delete(browser, public_ark):
    response = browser.get(ark_url(public_ark))
    html = response.content.decode()
    delete_url = reverse("admin:arks_ark_delete", args=[public_ark.pk])

    assert delete_url not in html
    assert 'class="deletelink"' not in html
    assert browser.get(delete_url).status_code == 403
    assert browser.post(delete_url, {"post": "yes"}).status_code == 403
    assert browser.get(reverse("admin:arks_ark_add")).status_code == 403
    assert Ark.objects.filter(pk=public_ark.pk).exists()


def test_ark_list_offers_no_delete_action_and_refuses_one_posted_anyway(browser, public_ark):
    response = browser.get(ARK_LIST)
    html = response.content.decode()
    assert "delete_selected" not in html
    assert reverse("admin:arks_ark_add") not in html

    response = browser.post(
        ARK_LIST, {"action": "delete_selected", "_selected_action": [public_ark.pk], "post": "yes"}
    )

    assert response.status_code in (200, 302)
    assert Ark.objects.filter(pk=public_ark.pk).exists()
    assert ArkEvent.objects.filter(ark=public_ark).count() == 1


def test_arks_cannot_be_deleted_through_their_organisation_or_naan(browser, public_ark):
    org_delete = reverse("admin:arks_organization_delete", args=[public_ark.owner_id])
    naan_delete = reverse("admin:arks_naan_delete", args=[public_ark.shoulder.naan_id])

    for url in (org_delete, naan_delete):
        response = browser.post(url, {"post": "yes"})
        assert response.status_code == 200
        assert "Cannot delete" in response.content.decode()

    assert Ark.objects.filter(pk=public_ark.pk).exists()
    assert Organization.objects.filter(pk=public_ark.owner_id).exists()


def ark_form(browser: Any, ark: Ark, **changes: str) -> dict[str, list[str]]:
    data = form_fields(browser.get(ark_url(ark)), "ark_form")
    data.update({name: [value] for name, value in changes.items()})
    return data


def test_changing_the_target_goes_through_the_services_and_is_recorded(browser, public_ark):
    data = ark_form(browser, public_ark, target="https://repo.example.org/item/1/v2")

    response = browser.post(ark_url(public_ark), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    ark = Ark.objects.get(pk=public_ark.pk)
    assert ark.target == "https://repo.example.org/item/1/v2"
    assert ark.updated_at > public_ark.updated_at
    event = ark.events.latest("id")
    assert (event.action, event.actor) == (ArkEvent.Action.UPDATE, f"admin:{USERNAME}")
    assert event.changes == {
        "target": ["https://repo.example.org/item/1", "https://repo.example.org/item/1/v2"]
    }
    # Only what changed is recorded; the history inline shows both events.
    assert ark.events.count() == 2
    history = inline_rows(browser.get(ark_url(ark)), "events")
    assert [row["action"] for row in history] == ["minted", "updated"]
    assert history[1]["actor"] == f"admin:{USERNAME}"


def test_saving_the_ark_form_unchanged_writes_no_event(browser, public_ark):
    response = browser.post(ark_url(public_ark), ark_form(browser, public_ark))

    assert response.status_code == 302
    assert ArkEvent.objects.filter(ark=public_ark).count() == 1


@pytest.mark.parametrize(
    "target",
    ["javascript:alert(1)", "https://user:pw@example.org/", "ftp://example.org/x", "/relative"],
)
def test_an_invalid_target_is_a_form_error_and_changes_nothing(browser, public_ark, target):
    response = browser.post(ark_url(public_ark), ark_form(browser, public_ark, target=target))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["target"]
    ark = Ark.objects.get(pk=public_ark.pk)
    assert ark.target == "https://repo.example.org/item/1"
    assert ark.events.count() == 1


def test_a_public_ark_cannot_be_made_reserved_again(browser, public_ark):
    response = browser.post(ark_url(public_ark), ark_form(browser, public_ark, state="reserved"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["state"]
    assert "cannot go from public to reserved" in errors[0]
    assert Ark.objects.get(pk=public_ark.pk).state == "public"
    assert ArkEvent.objects.filter(ark=public_ark).count() == 1


def test_withdrawing_an_ark_needs_a_reason_and_is_recorded_as_a_tombstone(browser, public_ark):
    refused = browser.post(ark_url(public_ark), ark_form(browser, public_ark, state="unavailable"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["reason"]
    assert Ark.objects.get(pk=public_ark.pk).state == "public"

    data = ark_form(browser, public_ark, state="unavailable", reason="Retracted by the author.")
    response = browser.post(ark_url(public_ark), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    ark = Ark.objects.get(pk=public_ark.pk)
    assert (ark.state, ark.reason) == ("unavailable", "Retracted by the author.")
    event = ark.events.latest("id")
    assert (event.action, event.actor) == (ArkEvent.Action.TOMBSTONE, f"admin:{USERNAME}")


def test_identity_fields_are_not_editable_on_the_ark_page(browser, public_ark):
    other = factories.organization("Intrusa")
    data = ark_form(browser, public_ark)
    forged = "ark:99999/fk4zzzz"
    data.update({"ark": [forged], "key": [forged], "owner": [str(other.pk)], "naan": ["12345"],
                 "shoulder": [""], "metadata": ['{"x": 1}'], "merged_into": [""]})  # fmt: skip

    response = browser.post(ark_url(public_ark), data)

    assert response.status_code == 302
    ark = Ark.objects.get(pk=public_ark.pk)
    assert (ark.ark, ark.key, ark.naan) == (public_ark.ark, public_ark.key, "99999")
    assert ark.owner_id == public_ark.owner_id and ark.metadata == {}


# --- searching and filtering ARKs --------------------------------------------------------------


@pytest.fixture
def catalogue() -> dict[str, list[Ark]]:
    """ARKs under two NAANs and three shoulders, with targets on two hosts."""
    fk4 = factories.shoulder("fk4", naan_code="99999")
    b5 = factories.shoulder("b5", naan_code="99999")
    x7 = factories.shoulder("x7", naan_code="12345")
    return {
        "fk4": mint(fk4, 3, state="public", target="https://repo.example.org/records/1"),
        "b5": mint(b5, 2, state="public", target="https://data.example.net/ds/2"),
        "b5-reserved": mint(b5, 2),
        "x7": mint(x7, 2, state="public", target="https://repo.example.org/other/3"),
    }


def arks_of(catalogue: dict[str, list[Ark]], *groups: str) -> set[str]:
    return {ark.ark for group in groups for ark in catalogue[group]}


def search(browser: Any, term: str) -> Any:
    return browser.get(ARK_LIST, {"q": term})


def test_the_ark_list_has_a_search_box_that_explains_what_it_finds(browser, catalogue):
    html = browser.get(ARK_LIST).content.decode()
    assert 'name="q"' in html
    assert "a target URL" in html


def test_search_by_full_ark_finds_exactly_that_ark(browser, catalogue):
    wanted = catalogue["fk4"][1]
    assert listed(search(browser, wanted.ark)) == {wanted.ark}


def test_search_by_old_form_resolver_url_and_bare_ark_finds_the_same_ark(browser, catalogue):
    wanted = catalogue["b5"][0]
    name = wanted.ark.removeprefix("ark:99999/")
    for term in (
        f"ark:/99999/{name}",  # the old form
        f"  ARK:/99999/{name}  ",  # label case and whitespace do not matter
        f"99999/{name}",  # without label
        f"https://n2t.net/ark:/99999/{name}",  # an actionable ARK
        f"https://n2t.net/ark:99999/{name}?info",
    ):
        assert listed(search(browser, term)) == {wanted.ark}, term


def test_search_ignores_hyphens_in_the_ark(browser, catalogue):
    wanted = catalogue["fk4"][2]
    name = wanted.ark.removeprefix("ark:99999/")
    hyphenated = f"ark:99-999/{name[:3]}-{name[3:5]}-{name[5:]}"
    assert listed(search(browser, hyphenated)) == {wanted.ark}


def test_search_by_partial_ark_finds_the_arks_it_begins(browser, catalogue):
    assert listed(search(browser, "ark:99999/b5")) == arks_of(catalogue, "b5", "b5-reserved")
    assert listed(search(browser, "ark:/99999/fk")) == arks_of(catalogue, "fk4")
    assert listed(search(browser, "12345/x")) == arks_of(catalogue, "x7")


def test_search_by_target_url_prefix(browser, catalogue):
    assert listed(search(browser, "https://repo.example.org/")) == arks_of(catalogue, "fk4", "x7")
    assert listed(search(browser, "https://repo.example.org/records/")) == arks_of(catalogue, "fk4")
    assert listed(search(browser, "https://data.example.net/ds/2")) == arks_of(catalogue, "b5")
    assert listed(search(browser, "https://nowhere.example.org/")) == set()


def test_search_for_text_that_is_no_ark_finds_nothing_and_says_why(browser, catalogue):
    response = search(browser, "not an ark at all")

    assert listed(response) == set()
    assert any(m.startswith("Not an ARK") for m in page_messages(response))


def test_filter_by_naan(browser, catalogue):
    assert listed(browser.get(ARK_LIST, {"naan": "12345"})) == arks_of(catalogue, "x7")
    assert listed(browser.get(ARK_LIST, {"naan": "99999"})) == arks_of(
        catalogue, "fk4", "b5", "b5-reserved"
    )
    html = browser.get(ARK_LIST).content.decode()
    assert "?naan=12345" in html and "?naan=99999" in html


def test_filter_by_shoulder(browser, catalogue):
    b5 = Shoulder.objects.get(prefix="b5")
    response = browser.get(ARK_LIST, {"shoulder": b5.pk})
    assert listed(response) == arks_of(catalogue, "b5", "b5-reserved")
    assert "ark:99999/b5" in response.content.decode()  # the filter's choice, by name


def test_filter_by_state(browser, catalogue):
    public = arks_of(catalogue, "fk4", "b5", "x7")
    assert listed(browser.get(ARK_LIST, {"state": "reserved"})) == arks_of(catalogue, "b5-reserved")
    assert listed(browser.get(ARK_LIST, {"state": "public"})) == public
    assert listed(browser.get(ARK_LIST, {"state__exact": "public"})) == public


def test_filters_and_search_combine(browser, catalogue):
    b5 = Shoulder.objects.get(prefix="b5")
    response = browser.get(ARK_LIST, {"shoulder": b5.pk, "state": "public", "q": "ark:99999/b5"})
    assert listed(response) == arks_of(catalogue, "b5")


def test_a_malformed_filter_value_is_not_a_server_error(browser, catalogue):
    response = browser.get(ARK_LIST, {"shoulder": "not-a-number"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


# --- list pages stay fast ----------------------------------------------------------------------


def ark_counts(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and '"arks_ark"' in q["sql"]]


def many_arks(n: int) -> None:
    shoulder = factories.shoulder("fk4")
    mint(shoulder, n, state="public", target="https://repo.example.org/x")


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "public"},
        {"q": "ark:99999/fk4"},
        {"naan": "99999", "o": "2"},
        {"_facets": "1"},
    ],
)
def test_ark_list_issues_a_bounded_number_of_queries_and_no_full_count(browser, query):
    fk4 = factories.shoulder("fk4")
    b5 = factories.shoulder("b5", org=factories.organization())
    data = {"state": "public", "target": "https://repo.example.org/x"}
    mint(fk4, 5, **data)
    with CaptureQueriesContext(connection) as few:
        assert browser.get(ARK_LIST, query).status_code == 200
    mint(fk4, 65, **data)
    mint(b5, 65, **data)
    with CaptureQueriesContext(connection) as many:
        response = browser.get(ARK_LIST, query)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == ArkAdmin.list_per_page
    assert len(many) == len(few), "queries grow with the number of ARKs"
    assert len(many) <= 12
    counts = ark_counts(many.captured_queries)
    assert counts, "the list should count (up to a cap) to paginate"
    for sql in counts:
        assert "LIMIT" in sql.upper(), f"unbounded count: {sql}"


def test_ark_list_paginates_beyond_the_first_page(browser):
    many_arks(120)

    first = browser.get(ARK_LIST)
    third = browser.get(ARK_LIST, {"p": "3"})

    cl = first.context["cl"]
    assert (cl.result_count, cl.multi_page) == (120, True)
    assert len(first.context["cl"].result_list) == 50
    assert len(listed(third)) == 20
    assert listed(first).isdisjoint(listed(third))
    assert "?p=3" in first.content.decode()


def test_the_count_stops_at_the_cap(browser, monkeypatch):
    many_arks(80)
    monkeypatch.setattr(EstimatedCountPaginator, "cap", 60)

    with CaptureQueriesContext(connection) as queries:
        response = browser.get(ARK_LIST, {"state": "public"})

    assert response.context["cl"].result_count == 61
    (count,) = ark_counts(queries.captured_queries)
    assert "LIMIT 61" in count.upper()
    paginator = EstimatedCountPaginator(Ark.objects.filter(state="public").order_by("-id"), 50)
    assert paginator.count == 61 and paginator.num_pages == 2


def test_unfiltered_ark_list_on_postgresql_uses_the_planner_estimate(browser, postgresql_only):
    shoulder = factories.shoulder("fk4")
    rows = EstimatedCountPaginator.cap + 500
    Ark.objects.bulk_create(
        Ark(ark=f"ark:99999/fk4t{i}", key=f"ark:99999/fk4t{i}", naan="99999", shoulder=shoulder,
            owner_id=shoulder.organization_id)
        for i in range(rows)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE arks_ark")

    with CaptureQueriesContext(connection) as queries:
        response = browser.get(ARK_LIST)

    assert response.status_code == 200
    assert not ark_counts(queries.captured_queries)
    assert response.context["cl"].result_count > EstimatedCountPaginator.cap
    assert len(response.context["cl"].result_list) == 50


def test_a_works_ark_is_not_edited_on_the_ark_page(browser):
    """Works' ARKs are written by the aggregation pipeline and curators (merge, split), not by
    hand: the page says so and nothing changes."""
    node = factories.organization("Aggregator")
    works = factories.shoulder("w3", org=node)
    assert Organization.objects.get(is_node=True) == node
    public = services.ArkData(target="https://repo.example.org/work/1", state="public")
    (ark,) = services.mint(shoulder=works, actor=services.Actor.aggregation("dedup"), data=public)
    data = ark_form(browser, ark, target="https://elsewhere.example/")
    response = browser.post(ark_url(ark), data)
    assert response.status_code == 200
    assert "is the ARK of an aggregated work" in response.content.decode()
    assert Ark.objects.get(pk=ark.pk).target == "https://repo.example.org/work/1"
    # Nor can the works shoulder be moved to an institution from the NAAN's page.
    institution = factories.organization("Institution A")
    page = browser.get(naan_url(works.naan))
    fields = form_fields(page, "naan_form")
    fields["shoulders-0-organization"] = [str(institution.pk)]  # w3, the NAAN's only shoulder
    response = browser.post(naan_url(works.naan), fields)
    assert response.status_code == 200
    assert "held by this node&#x27;s organisation" in response.content.decode()
    works.refresh_from_db()
    assert works.organization == node
