"""The resolver as an HTTP client sees it, against a real database.

Cases follow the ARK specification (draft-kunze-ark): equivalent forms, hyphens, suffix
passthrough over "/" and "." boundaries, inflections, /.well-known/ark; and the service's own
rules for states, merges, forwarding and bad input.
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

import pytest
from django.test import Client, override_settings

from arks import services
from arks.models import Ark
from tests import factories

pytestmark = pytest.mark.django_db
ACTOR = "test:resolver"
TARGET = "https://repository.example.org/item/42"


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def shoulder():
    return factories.shoulder("fk4", org=factories.organization("Universidad Ejemplo"))


@pytest.fixture
def ark(shoulder) -> Ark:
    data = services.ArkData(target=TARGET, state="public", who="Pérez, A.", what="On ARKs")
    return services.mint(shoulder=shoulder, actor=ACTOR, data=data)[0]


def register(text: str, target: str = TARGET, **fields) -> Ark:
    org = factories.organization()
    data = services.ArkData(target=target, state="public", **fields)
    return services.register_ark(text=text, owner=org, actor=ACTOR, data=data)


def get(client: Client, path: str, raw: str | None = None, **headers):
    """GET ``path``; ``raw`` is the request target as gunicorn passes it (RAW_URI)."""
    extra = {"RAW_URI": raw} if raw is not None else {}
    return client.get(path, headers=headers, **extra)


# --- redirects and equivalent forms -----------------------------------------------------------


def test_public_ark_redirects_to_its_target_and_names_itself(client, ark):
    response = get(client, f"/{ark.ark}")
    assert response.status_code == 302
    assert response["Location"] == TARGET
    assert response["Link"] == f'<http://127.0.0.1:8000/{ark.ark}>; rel="cite-as"'


def test_every_equivalent_form_resolves_the_same(client, ark):
    name = ark.ark.removeprefix("ark:99999/")
    hyphenated = "-".join(name)
    for path in [
        f"/ark:99999/{name}",
        f"/ark:/99999/{name}",
        f"/ARK:/99999/{name}",
        f"/ark%3A/99999/{name}",
        f"/ark%3a99999/{name}",
        f"/ark:99999/{hyphenated}",
        f"/ark:99999/{name}/",
        f"/ark:99999/{name}.",
    ]:
        response = get(client, path, raw=path)
        assert (response.status_code, response["Location"]) == (302, TARGET), path


def as_served(client: Client, raw: str, **headers):
    """GET the request target ``raw`` as a WSGI server passes it: the raw target, and the path
    percent-decoded (what Django routes on)."""
    path = unquote(raw.partition("?")[0])
    return get(client, path, raw=raw, **headers)


@pytest.mark.parametrize(
    "form",
    [
        "/https://n2t.net/ark:/99999/{name}",
        "/http://any.host/ark:99999/{name}",
        "/https://resolver.example.org/some/prefix/ark:99999/{name}",
        "/https%3A%2F%2Fn2t.net%2Fark%3A%2F99999%2F{name}",
        "/HTTPS%3a%2f%2fn2t.net%2fark%3a99999%2f{name}",
    ],
)
def test_an_ark_after_a_resolver_url_resolves_as_n2t_does(client, ark, form):
    raw = form.format(name=ark.ark.removeprefix("ark:99999/"))
    response = as_served(client, raw)
    assert (response.status_code, response["Location"]) == (302, TARGET), raw
    assert response["Link"] == f'<http://127.0.0.1:8000/{ark.ark}>; rel="cite-as"'
    passthrough = as_served(client, raw + "%2Fchapter-2" if "%2F" in raw else raw + "/chapter-2")
    assert passthrough["Location"] == TARGET + "/chapter-2", raw
    described = as_served(client, raw + "?info", accept="application/json")
    assert (described.status_code, described.json()["ark"]) == (200, ark.ark), raw


def test_a_naan_after_a_resolver_url_is_the_naans_page(client, shoulder):
    for raw in ("/https://n2t.net/ark:/99999", "/https%3A%2F%2Fn2t.net%2Fark%3A99999%2F"):
        response = as_served(client, raw, accept="application/json")
        assert (response.status_code, response.json()["naan"]) == (200, "99999"), raw


@pytest.mark.parametrize(
    "dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
)
def test_unicode_hyphens_and_dashes_resolve_like_hyphens(client, ark, dash):
    # ARK spec, "Character Repertoires" (last paragraph) and "Normalization and Lexical
    # Equivalence", step 6: hyphen-like characters may be treated as hyphens, which do not count.
    name = ark.ark.removeprefix("ark:99999/")
    escaped = quote(dash)  # what a browser sends
    for raw in (
        f"/ark:99999/{name[:3]}{escaped}{name[3:]}",
        f"/ark:99999/{escaped}{name}{escaped}",
    ):
        response = as_served(client, raw)
        assert (response.status_code, response["Location"]) == (302, TARGET), raw
    part = as_served(client, f"/{ark.ark}/part{escaped}1")
    assert part["Location"] == f"{TARGET}/part-1"  # passed on as the hyphen it stands for


def test_specification_examples_of_equivalence_resolve_alike(client, shoulder):
    factories.naan("12345")
    register("ark:12345/x5-4-xz-321")
    for path in ["/ark:12345/x54xz321", "/ark:12345/x54--xz32-1", "/ark:/12345/x5-4-xz-321"]:
        assert get(client, path, raw=path)["Location"] == TARGET, path


def test_naan_is_text_not_a_number(client):
    factories.naan("013960")
    register("ark:013960/b1", target="https://a.example/")
    assert get(client, "/ark:013960/b1")["Location"] == "https://a.example/"
    assert get(client, "/ark:13960/b1")["Location"].startswith("https://n2t.net/ark:13960/b1")


# --- suffix passthrough -----------------------------------------------------------------------


def test_suffix_passthrough_appends_the_rest_verbatim(client, ark):
    path = f"/{ark.ark}/c3/s5.v7.xsl"
    response = get(client, path, raw=path + "?page=2&x=%2F")
    assert response.status_code == 302
    assert response["Location"] == TARGET + "/c3/s5.v7.xsl?page=2&x=%2F"


def test_passthrough_onto_a_target_with_a_query_merges_the_queries(client, shoulder):
    data = services.ArkData(target="https://repo.example.org/item/1?lang=en#abstract")
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    response = get(client, f"/{ark.ark}/extra", raw=f"/{ark.ark}/extra?q=1")
    assert response["Location"] == "https://repo.example.org/item/1/extra?lang=en&q=1#abstract"
    assert get(client, f"/{ark.ark}", raw=f"/{ark.ark}?q=1")["Location"] == (
        "https://repo.example.org/item/1?lang=en&q=1#abstract"
    )
    assert get(client, f"/{ark.ark}.v2", raw=f"/{ark.ark}.v2")["Location"] == (
        "https://repo.example.org/item/1.v2?lang=en#abstract"
    )


def test_the_longest_stored_ancestor_wins(client):
    factories.naan("12345")
    register("ark:12345/x54", target="https://a.example/x54")
    register("ark:12345/x54/xz", target="https://a.example/xz")
    assert get(client, "/ark:12345/x54/xz/321")["Location"] == "https://a.example/xz/321"
    assert get(client, "/ark:12345/x54/other")["Location"] == "https://a.example/x54/other"
    assert (
        get(client, "/ark:12345/x54.v18.fr.odf")["Location"] == "https://a.example/x54.v18.fr.odf"
    )


def test_passthrough_keeps_the_suffix_as_received_hyphens_and_all(client):
    factories.naan("12345")
    register("ark:12345/x54", target="https://a.example/x54")
    path = "/ark:12345/x-54/part-1"
    assert get(client, path, raw=path)["Location"] == "https://a.example/x54/part-1"


@pytest.mark.parametrize(
    ("path", "suffix"),
    [("x54-/part", "/part"), ("x54--.pdf", ".pdf"), ("x-54-/c-3-/s5", "/c-3-/s5")],
)
def test_hyphens_before_the_boundary_belong_to_the_ancestor(client, path, suffix):
    factories.naan("12345")
    register("ark:12345/x54", target="https://a.example/x54")
    raw = f"/ark:12345/{path}"
    assert get(client, raw, raw=raw)["Location"] == "https://a.example/x54" + suffix
    doc = get(client, raw, raw=raw + "?info", accept="application/json").json()
    assert doc["inherited_suffix"] == suffix


def test_passthrough_lookup_is_one_query(client, ark, django_assert_num_queries):
    path = f"/{ark.ark}/a/b/c.d.e"
    with django_assert_num_queries(1):
        response = get(client, path, raw=path)
    assert response["Location"] == TARGET + "/a/b/c.d.e"


def test_info_on_a_passthrough_describes_the_ancestor(client, ark):
    path = f"/{ark.ark}/c3.pdf"
    doc = get(client, path, raw=path + "?info", accept="application/json").json()
    assert doc["ark"] == ark.ark
    assert doc["inherited_suffix"] == "/c3.pdf"
    assert doc["requested"] == f"{ark.ark}/c3.pdf"


# --- inflections and formats ------------------------------------------------------------------


@pytest.mark.parametrize("query", ["info", "", "?", "INFO"])
def test_inflections_return_metadata_instead_of_redirecting(client, ark, query):
    path = f"/{ark.ark}"
    response = get(client, path + "?" + query, raw=f"{path}?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "On ARKs" in body and "Pérez, A." in body and TARGET in body


def test_other_query_strings_are_passed_to_the_target(client, ark):
    path = f"/{ark.ark}"
    assert get(client, path, raw=f"{path}?download=1")["Location"] == f"{TARGET}?download=1"


def test_json_by_content_negotiation(client, ark):
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info", accept="application/json")
    assert response["Content-Type"] == "application/json"
    doc = response.json()
    assert doc["ark"] == ark.ark and doc["target"] == TARGET and doc["state"] == "public"
    assert doc["who"] == "Pérez, A." and doc["what"] == "On ARKs"
    assert doc["support"]["shoulder"] == "ark:99999/fk4"
    assert doc["support"]["shoulder_holder"] == "Universidad Ejemplo"
    assert [h["action"] for h in doc["history"]] == ["minted"]
    assert response["Vary"] == "Accept"


def test_anvl_by_content_negotiation(client, ark):
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info", accept="text/plain")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.startswith("erc:\nwho: Pérez, A.\nwhat: On ARKs\n")
    assert "where:" not in text.split("erc-support:")[0]  # none stored: none shown
    assert "\nerc-support:\nwho: Universidad Ejemplo\n" in text


def test_anvl_values_stay_on_one_line(client, shoulder):
    data = services.ArkData(target=TARGET, state="public", what="Line one\nwho: forged")
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    text = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info", accept="text/plain")
    assert "what: Line one%0Awho: forged\n" in text.content.decode()


def test_where_is_shown_as_stored_in_every_format(client, shoulder):
    where = "https://library.example.org/shelf/7"
    data = services.ArkData(target=TARGET, state="public", what="Atlas", where=where)
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    path = f"/{ark.ark}?info"
    assert get(client, path, raw=path, accept="application/json").json()["where"] == where
    anvl = get(client, path, raw=path, accept="text/plain").content.decode()
    assert f"\nwhere: {where}\n" in anvl.split("erc-support:")[0]
    page = get(client, path, raw=path).content.decode()
    assert f'<dt>Where</dt><dd><a href="{where}" rel="nofollow">{where}</a></dd>' in page


def json_ld(response) -> dict:
    body = response.content.decode()
    opening = '<script type="application/ld+json">'
    start = body.index(opening) + len(opening)
    return json.loads(body[start : body.index("</script>", start)])


@pytest.mark.parametrize(
    ("kind", "schema_type"),
    [
        ("dataset", "Dataset"),  # free text
        ("Software", "SoftwareSourceCode"),  # DataCite resourceTypeGeneral
        ("JournalArticle", "ScholarlyArticle"),  # DataCite resourceTypeGeneral
        ("http://purl.org/coar/resource_type/c_6501", "ScholarlyArticle"),  # COAR URI
        ("https://purl.org/coar/resource_type/c_db06/", "Thesis"),  # COAR URI, https, slash
        ("journal article", "ScholarlyArticle"),  # COAR label
        ("info:eu-repo/semantics/bookPart", "Chapter"),  # OpenAIRE v3
        ("Dataset", "Dataset"),  # schema.org's own name
        ({"uri": "http://purl.org/coar/resource_type/c_ddb1", "label": "dataset"}, "Dataset"),
        ("a thing of our own", "CreativeWork"),  # unknown: the fallback
        (None, "CreativeWork"),
    ],
)
def test_json_ld_gives_the_type_of_the_work(client, shoulder, kind, schema_type):
    metadata = {} if kind is None else {"type": kind}
    data = services.ArkData(target=TARGET, state="public", metadata=metadata)
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    path = f"/{ark.ark}?info"
    assert json_ld(get(client, path, raw=path))["@type"] == schema_type
    negotiated = get(client, path, raw=path, accept="application/ld+json")
    assert json.loads(negotiated.content)["@type"] == schema_type
    assert f'<https://schema.org/{schema_type}>; rel="type"' in negotiated["Link"]
    assert '<https://schema.org/AboutPage>; rel="type"' in negotiated["Link"]


def test_json_ld_lists_authors_as_people_and_carries_the_licence(client, shoulder):
    licence = "https://creativecommons.org/licenses/by/4.0/"
    who = "Pérez, Ana; Souza, J. M.; Universidad de Chile; CERN; Marie Curie; (:unkn) anonymous"
    data = services.ArkData(
        target=TARGET, state="public", who=who, metadata={"type": "article", "license": licence}
    )
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info")
    described = json_ld(response)
    assert described["license"] == licence
    assert described["author"] == [
        {"@type": "Person", "name": "Ana Pérez", "familyName": "Pérez", "givenName": "Ana"},
        {"@type": "Person", "name": "J. M. Souza", "familyName": "Souza", "givenName": "J. M."},
        {"@type": "Organization", "name": "Universidad de Chile"},
        {"@type": "Organization", "name": "CERN"},
        {"@type": "Person", "name": "Marie Curie"},
    ]
    assert f'<{licence}>; rel="license"' in response["Link"]


def test_a_work_takes_its_licence_from_its_instances(client, shoulder):
    instances = [
        {"source": "A", "url": "https://a.example/1"},
        {"source": "B", "url": "https://b.example/1", "license": "CC BY-SA 4.0\nX-Evil: 1"},
    ]
    metadata = {"kind": "dataset", "type": "weird local label", "instances": instances}
    data = services.ArkData(target=TARGET, state="public", metadata=metadata)
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info")
    described = json_ld(response)
    assert (described["@type"], described["license"]) == ("Dataset", "CC BY-SA 4.0\nX-Evil: 1")
    assert 'rel="license"' not in response["Link"]  # not a URL: not a link header


def test_resolver_json_errors_have_the_api_error_shape(client, shoulder):
    bad = get(client, "/ark:99999/x", raw="/ark:99999/fk4%zz", accept="application/json")
    assert bad.status_code == 400
    assert bad.json() == {
        "errors": [
            {
                "code": "invalid_ark",
                "field": "ark",
                "message": "Not a valid ARK: malformed percent-escape '%zz': "
                "'%' must be followed by two hex digits",
            }
        ]
    }
    missing = get(client, "/ark:99999/fk4nothere", accept="application/json")
    assert missing.status_code == 404
    body = missing.json()
    assert body["errors"] == [
        {
            "code": "not_found",
            "field": "ark",
            "message": "ark:99999/fk4nothere is not known to this resolver.",
        }
    ]
    assert body["shoulder"]["shoulder"] == "ark:99999/fk4"  # what helps next, beside it


def test_landing_page_carries_json_ld_and_signposting(client, ark):
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info")
    body = response.content.decode()
    start = body.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(body[start : body.index("</script>", start)])
    assert data["@type"] == "CreativeWork" and data["identifier"] == ark.ark  # no type given
    assert data["name"] == "On ARKs"
    links = response["Link"]
    assert f'<http://127.0.0.1:8000/{ark.ark}>; rel="cite-as"' in links
    assert 'rel="describedby"; type="application/json"' in links
    assert f'<{TARGET}>; rel="item"' in links


def test_json_ld_by_content_negotiation(client, ark):
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info", accept="application/ld+json")
    assert response["Content-Type"].startswith("application/ld+json")
    assert json.loads(response.content)["@id"] == f"http://127.0.0.1:8000/{ark.ark}"


def test_script_breaking_metadata_cannot_escape_the_json_ld(client, shoulder):
    data = services.ArkData(
        target=TARGET, state="public", what="</script><script>alert(1)</script>"
    )
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    body = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info").content.decode()
    assert "<script>alert(1)" not in body


# --- states and merges ------------------------------------------------------------------------


def test_reserved_arks_look_exactly_like_unknown_ones(client, shoulder):
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR)
    unknown_ark = ark.ark[:-2] + "zz"
    for accept in ("application/json", "text/html"):
        reserved = get(client, f"/{ark.ark}", accept=accept)
        unknown = get(client, f"/{unknown_ark}", accept=accept)
        assert reserved.status_code == unknown.status_code == 404
        assert reserved.content.replace(ark.ark.encode(), b"X") == unknown.content.replace(
            unknown_ark.encode(), b"X"
        )
    assert get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info").status_code == 404


def test_withdrawn_ark_is_a_tombstone_with_its_last_metadata(client, ark):
    services.tombstone(ark=ark, actor=ACTOR, reason="Retracted by the authors")
    response = get(client, f"/{ark.ark}")
    assert response.status_code == 410
    body = response.content.decode()
    assert "withdrawn" in body and "On ARKs" in body
    assert body.count("Retracted by the authors") == 1  # the notice; not again in the fields
    doc = get(client, f"/{ark.ark}", accept="application/json").json()
    assert (doc["state"], doc["reason"], doc["target"]) == (
        "unavailable",
        "Retracted by the authors",
        "",
    )
    info = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info", accept="application/json")
    assert info.status_code == 200 and info.json()["state"] == "unavailable"


def test_merged_ark_resolves_through_its_survivor_and_says_so(client, shoulder, ark):
    data = services.ArkData(target="https://other.example/", state="public")
    (alias,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    services.merge(ark=alias, into=ark, actor=ACTOR)
    response = get(client, f"/{alias.ark}")
    assert (response.status_code, response["Location"]) == (302, TARGET)
    assert response["Link"] == f'<http://127.0.0.1:8000/{ark.ark}>; rel="cite-as"'
    doc = get(
        client, f"/{alias.ark}?info", raw=f"/{alias.ark}?info", accept="application/json"
    ).json()
    assert (doc["ark"], doc["requested"], doc["merged_into"]) == (ark.ark, alias.ark, ark.ark)
    # Its own story is told too, the merge included, and its statistics are its own.
    assert [e["ark"] for e in doc["history"]].count(alias.ark) >= 2
    assert "merged" in " ".join(
        e["action"].lower() for e in doc["history"] if e["ark"] == alias.ark
    )
    assert doc["statistics"] == f"http://127.0.0.1:8000/stats/{alias.ark}"
    page = get(client, f"/{alias.ark}?info", raw=f"/{alias.ark}?info").content.decode()
    assert f'href="http://127.0.0.1:8000/stats/{alias.ark}"' in page


def test_merge_chains_are_followed(client, shoulder, ark):
    a, b = services.mint(
        shoulder=shoulder,
        actor=ACTOR,
        data=services.ArkData(target="https://x.example/", state="public"),
        count=2,
    )
    services.merge(ark=a, into=b, actor=ACTOR)
    services.merge(ark=b, into=ark, actor=ACTOR)
    assert get(client, f"/{a.ark}")["Location"] == TARGET


# --- NAANs, shoulders, unknown ARKs, forwarding -----------------------------------------------


def test_naan_and_shoulder_pages_tell_who_holds_them(client, shoulder):
    shoulder.persistence_statement = "Kept for as long as the university exists."
    shoulder.save()
    for path in ["/ark:99999", "/ark:/99999/", "/ark:99999?info"]:
        response = get(client, path, raw=path)
        assert response.status_code == 200, path
        assert "ark:99999/fk4" in response.content.decode()
    page = get(client, "/ark:99999/fk4?info", raw="/ark:99999/fk4?info").content.decode()
    assert "Universidad Ejemplo" in page and "Kept for as long as the university exists." in page
    doc = get(client, "/ark:99999/fk4", accept="application/json").json()
    assert doc["shoulder"] == "ark:99999/fk4" and doc["shoulder_holder"] == "Universidad Ejemplo"


def test_unknown_ark_of_a_served_naan_is_404_with_naan_and_shoulder(client, shoulder):
    response = get(client, "/ark:99999/fk4zzzzz")
    assert response.status_code == 404
    body = response.content.decode()
    assert "not known to this resolver" in body and "ark:99999/fk4" in body
    doc = get(client, "/ark:99999/fk4zzzzz", accept="application/json").json()
    assert doc["errors"][0]["code"] == "not_found" and doc["naan"] == "99999"
    assert doc["shoulder"]["shoulder"] == "ark:99999/fk4"


def test_unknown_ark_in_anvl_names_the_naan_and_shoulder_too(client, shoulder):
    response = get(client, "/ark:99999/fk4zzzzz", accept="text/plain")
    assert response.status_code == 404
    text = response.content.decode()
    assert text.startswith("error:\nstatus: 404\n")
    assert "\nshoulder:\n" in text and "shoulder_holder: Universidad Ejemplo" in text
    assert "\nnaan:\n" in text and "naan: 99999" in text


def test_unknown_naan_goes_to_the_fallback_resolver_with_suffix_and_query(client):
    path = "/ark:/12148/btv1b8449691v/f29.item"
    response = get(client, path, raw=path + "?lang=fr")
    assert response.status_code == 302
    assert response["Location"] == "https://n2t.net/ark:12148/btv1b8449691v/f29.item?lang=fr"


def test_naan_forwarded_by_this_node_uses_its_template(client):
    org = factories.organization()
    services.register_naan(naan="12148", holder=org, forward_to="https://ark.bnf.fr/ark:${content}")
    services.register_naan(naan="67531", holder=org, forward_to="https://digital.example.edu")
    assert get(client, "/ark:12148/bt-v1")["Location"] == "https://ark.bnf.fr/ark:12148/bt-v1"
    assert get(client, "/ark:67531/m1")["Location"] == "https://digital.example.edu/ark:67531/m1"


def test_registry_shoulder_records_win_over_naan_records(client):
    from arks.models import RegistryNaan

    RegistryNaan.objects.create(naan="99166", where="https://agents.example/", target="")
    RegistryNaan.objects.create(
        naan="99166",
        shoulder="w6",
        where="https://w6.example",
        target="https://w6.example/${value}",
        http_code=303,
    )
    response = get(client, "/ark:99166/w6abc")
    assert (response.status_code, response["Location"]) == (303, "https://w6.example/w6abc")
    assert get(client, "/ark:99166/x9abc")["Location"] == "https://agents.example/ark:99166/x9abc"


def test_forwarding_never_loops_back_to_this_node(client):
    org = factories.organization()
    services.register_naan(naan="12345", holder=org, forward_to="http://127.0.0.1:8000/")
    response = get(client, "/ark:12345/abc")
    assert response.status_code == 404
    assert "loop" in response.content.decode()


@pytest.mark.parametrize(
    ("forward_to", "host"),
    [
        ("http://127.0.0.1:80/", "127.0.0.1"),
        ("https://PID.example.org/", "pid.example.org:443"),
        ("http://pid.example.org./ark:${content}", "pid.example.org"),
    ],
)
def test_forwarding_to_this_node_under_another_spelling_is_still_a_loop(client, forward_to, host):
    org = factories.organization()
    services.register_naan(naan="12345", holder=org, forward_to=forward_to)
    with override_settings(ALLOWED_HOSTS=["127.0.0.1", "pid.example.org"]):
        response = client.get("/ark:12345/abc", headers={"host": host})
    assert response.status_code == 404
    assert "loop" in response.content.decode()


def test_forwarding_to_another_port_of_the_same_host_is_not_a_loop(client):
    org = factories.organization()
    services.register_naan(naan="12345", holder=org, forward_to="http://127.0.0.1:8081/")
    response = get(client, "/ark:12345/abc")
    assert (response.status_code, response["Location"]) == (
        302,
        "http://127.0.0.1:8081/ark:12345/abc",
    )


def test_well_known_ark_names_the_resolver_path(client):
    response = client.get("/.well-known/ark")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "/\n"


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "/ark:99999/fk4%zz",
        "/ark:99999/fk4%4",
        "/ark:99999/fk4/../etc/passwd",
        "/ark:99999/a\x01b",
        "/ark:/",
        "/ark:",
        "/ark:9a9a9/x",
        "/ark:99999/x<script>",
        "/ark:99999/x" + "y" * 5000,
        "/ark:99999/x54.v2/c3",
    ],
)
def test_malformed_requests_get_400_that_says_what_is_wrong(client, raw):
    response = get(client, "/ark:placeholder", raw=raw, accept="application/json")
    assert response.status_code in (400, 404), raw
    if response.status_code == 400:
        (problem,) = response.json()["errors"]
        assert (problem["code"], problem["field"]) == ("invalid_ark", "ark"), raw
        assert problem["message"].startswith("Not a valid ARK:")


def test_a_path_with_a_double_slash_is_a_path_not_an_absolute_url(client):
    raw = "/ark://12148//btv1b"
    response = get(client, raw, raw=raw, accept="application/json")
    assert response.status_code == 400
    # not "no 'ark:' label found"
    assert "NAAN is empty" in response.json()["errors"][0]["message"]


def test_only_get_and_head(client, ark):
    browser = Client(enforce_csrf_checks=True)  # as a real client: no CSRF exemption
    for path in (f"/{ark.ark}", f"/{ark.ark}?info", "/.well-known/ark"):
        assert browser.post(path).status_code == 405, path
    assert client.head(f"/{ark.ark}").status_code == 302


# --- what stored metadata can put on a page ---------------------------------------------------


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.domain)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>"]
)
def test_only_web_urls_in_metadata_become_links(client, shoulder, url):
    instances = [{"source": "A", "url": url}, {"source": "B", "url": "https://b.example/1"}]
    data = services.ArkData(target=TARGET, state="public", metadata={"instances": instances})
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    response = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info")
    page = response.content.decode()
    assert 'href="https://b.example/1"' in page
    assert 'href="' + url.strip()[:4] not in page and 'href=" ' not in page
    assert "script-src" not in response["Content-Security-Policy"]  # none: default-src 'none'
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_home_page_looks_an_ark_up(client, ark):
    response = client.get("/", {"ark": f"https://n2t.net/ark:/99999/{ark.ark[10:]}"})
    assert response.status_code == 302 and response["Location"] == f"/{ark.ark}?info"
    assert client.get("/", {"ark": "not an ark"}).status_code == 400
    assert "ark:99999" in client.get("/").content.decode()


def test_a_work_with_more_records_than_instances_shown_points_to_the_full_list(client, shoulder):
    instances = [{"source": "A", "url": "https://a.example/1", "access_rights": "open access"}]
    metadata = {"members": 150, "instances": instances}
    data = services.ArkData(target=TARGET, state="public", metadata=metadata)
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    page = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info").content.decode()
    assert "The 1 best of its 150 records are shown" in page
    assert f'href="/api/v1/works/{ark.ark}"' in page
    metadata["members"] = 1
    services.update_ark(ark=ark, actor=ACTOR, metadata=metadata)
    page = get(client, f"/{ark.ark}?info", raw=f"/{ark.ark}?info").content.decode()
    assert "records are shown" not in page and "open access" in page
