"""``oai_dc`` (OAI-PMH 2.0, Simple Dublin Core), with the OpenAIRE v3 / DRIVER conventions.

OpenAIRE Guidelines for Literature Repositories v3 ("Application Profile Overview") refine plain
DC values with ``info:eu-repo`` terms, all read here:

* ``dc:relation`` ``info:eu-repo/grantAgreement/Funder/Program/ProjectID/[Jurisdiction]/
  [ProjectName]/[ProjectAcronym]`` (fields ``%2F``-escaped: "Project Identifier (MA)");
* ``dc:relation`` ``info:eu-repo/semantics/altIdentifier/<scheme>/<id>`` (this product),
  ``…/reference/<scheme>/<id>`` (cited works) and ``…/dataset/<scheme>/<id>`` (datasets);
* ``dc:rights`` ``info:eu-repo/semantics/openAccess|embargoedAccess|restrictedAccess|
  closedAccess`` ("Access Level (M)"), other ``dc:rights`` URLs being licences;
* ``dc:date`` ``info:eu-repo/date/embargoEnd/YYYY-MM-DD`` ("Embargo End Date (MA)");
* ``dc:type`` ``info:eu-repo/semantics/<type>`` and ``…/<version>`` ("Publication Type (M)",
  "Publication Version (R)");
* ``dc:subject`` ``info:eu-repo/classification/<scheme>/<value>``.

Plain DC values are read for what they are: ``dc:identifier`` through ``detect_pid`` (a Handle
URL is both a PID and the landing page), a PID in ``dc:relation`` as a related identifier whose
relation is unknown (DSpace puts the publisher's DOI there; dedup decides what it is worth).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from lxml import etree

from aggregation.formats.draft import (
    RANK_COAR,
    RANK_CONTROLLED,
    RANK_FREE_TEXT,
    RANK_VOCABULARY,
    Draft,
)
from aggregation.formats.kernel import XML_LANG
from aggregation.formats.model import DateEntry, Funding, License, Product, Subject, Title
from aggregation.formats.people import person_from_text
from aggregation.formats.pids import detect_pid, normalize_pid
from aggregation.formats.values import clean, clean_paragraphs, normalize_date, normalize_language
from aggregation.formats.vocab import (
    INFO_EU_REPO_TYPES,
    INFO_EU_REPO_VERSIONS,
    access_right_from,
    coar_type_from_label,
    coar_type_from_uri,
    label_key,
    version_from,
)

__all__ = ["DC_NS", "OAI_DC_NS", "map_oai_dc", "parse_grant_agreement"]

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
_DC = "{" + DC_NS + "}"

EU_REPO = "info:eu-repo/"
_GRANT = "info:eu-repo/grantAgreement/"
_SEMANTICS = "info:eu-repo/semantics/"
_EMBARGO = "info:eu-repo/date/embargoEnd/"
_CLASSIFICATION = "info:eu-repo/classification/"
_RELATIONS = {"altIdentifier": None, "reference": "References", "dataset": "References"}

# Funder codes the Guidelines v3 name ("Project Identifier": EC, WT); the European Commission's
# Crossref Funder ID as DataCite's fundingReference example gives it.
_FUNDERS = {"EC": ("European Commission", "10.13039/501100000780"), "WT": ("Wellcome Trust", None)}


def map_oai_dc(root: etree._Element) -> Product:
    draft = Draft("oai_dc")
    titles: list[tuple[str, str | None]] = []
    handler_of = _BY_TAG.get
    for child in root.iterchildren(_DC_ELEMENTS):
        tag = child.tag
        handler = handler_of(tag)
        if handler is None and tag != _TITLE:
            continue  # a DC element not mapped (dc:format, dc:coverage, dc:source)
        text = child.text if len(child) == 0 else "".join(child.itertext())
        if not text:
            continue
        if handler is None:
            titles.append((text, child.get(XML_LANG)))
        else:
            handler(text, draft)
    _add_titles(titles, draft)
    return draft.finish()


def _add_titles(titles: list[tuple[str, str | None]], draft: Draft) -> None:
    """The first title is the main one; a later one in another language is a translation."""
    first_lang = None
    for text, lang_attr in titles:
        value = clean(text)
        if not value:
            continue
        lang = normalize_language(lang_attr)
        if not draft.titles:
            first_lang = lang
            draft.titles.append(Title(value, lang, "main"))
        elif lang and first_lang and lang != first_lang:
            draft.titles.append(Title(value, lang, "translated"))
        else:
            draft.titles.append(Title(value, lang, "alternative"))


def _creator(text: str, draft: Draft) -> None:
    found = person_from_text(text, draft.warnings)
    if found is not None:
        draft.creators.append(found)


def _contributor(text: str, draft: Draft) -> None:
    found = person_from_text(text, draft.warnings)
    if found is not None:
        draft.contributors.append(found)


def _subject(text: str, draft: Draft) -> None:
    value = clean(text)
    if not value:
        return
    if value.startswith(_CLASSIFICATION):
        scheme, _, code = value[len(_CLASSIFICATION) :].partition("/")
        if code:
            draft.subjects.append(Subject(code, scheme or None))
            return
    draft.subjects.append(Subject(value))


def _description(text: str, draft: Draft) -> None:
    value = clean_paragraphs(text)
    if value:
        draft.descriptions.append(value)


def _publisher(text: str, draft: Draft) -> None:
    if draft.publisher is None:
        draft.publisher = clean(text)


def _date(text: str, draft: Draft) -> None:
    value = clean(text)
    if not value:
        return
    if value.startswith(_EMBARGO):
        end = normalize_date(value[len(_EMBARGO) :])
        if end:
            draft.embargo_end = draft.embargo_end or end
        else:
            draft.warnings.append(f"embargo end date {value!r} is not a date")
        return
    if value.startswith(EU_REPO):
        return
    draft.dates.append(DateEntry(value))


def _type(text: str, draft: Draft) -> None:
    value = clean(text)
    if not value:
        return
    if value.startswith(_SEMANTICS):
        key = label_key(value[len(_SEMANTICS) :])
        if key in INFO_EU_REPO_VERSIONS:
            draft.version = draft.version or INFO_EU_REPO_VERSIONS[key]
        else:
            draft.add_type(RANK_CONTROLLED, INFO_EU_REPO_TYPES.get(key), value)
        return
    lowered = value.lower()
    if "purl.org/coar/version/" in lowered:
        draft.version = draft.version or version_from(value, None)
    elif "purl.org/coar/resource_type/" in lowered:
        draft.add_type(RANK_COAR, coar_type_from_uri(value), value)
    elif lowered.startswith(("http://purl.org/", "https://purl.org/")):
        # Eprints (purl.org/eprint/type/) and DCMI (purl.org/dc/dcmitype/) type URIs
        draft.add_type(RANK_VOCABULARY, coar_type_from_label(value.rsplit("/", 1)[-1]), value)
    else:
        draft.add_type(RANK_FREE_TEXT, coar_type_from_label(value), value)


def _identifier(text: str, draft: Draft) -> None:
    value = clean(text)
    pid = detect_pid(value) if value else None
    if pid is None:
        return  # a citation or a local number: not an identifier we can use
    if pid.kind != "url":
        draft.add_pid(pid)
        if value and value[:8].lower().startswith(("http://", "https://")):
            draft.add_url(value)  # a resolver URL (Handle, DOI) given as the identifier
        return
    if pid.value.lower().split("?", 1)[0].endswith(".pdf"):
        draft.add_url(pid.value, fulltext=True)
    else:
        draft.add_pid(pid)
        draft.add_url(pid.value)


def _relation(text: str, draft: Draft) -> None:
    value = clean(text)
    if not value:
        return
    if value.startswith(_GRANT):
        funding = parse_grant_agreement(value)
        if funding is not None:
            draft.funding.append(funding)
        else:
            draft.warnings.append(f"grant agreement {value!r} lacks funder, programme or project")
        return
    if value.startswith(_SEMANTICS):
        _eu_repo_relation(value[len(_SEMANTICS) :], draft)
        return
    if value.startswith(EU_REPO):
        return
    pid = detect_pid(value)
    if pid is not None:
        draft.add_related(pid, None)


def _eu_repo_relation(rest: str, draft: Draft) -> None:
    kind, _, tail = rest.partition("/")
    scheme, _, ident = tail.partition("/")
    if kind not in _RELATIONS or not ident:
        return
    pid = normalize_pid(scheme, ident) or detect_pid(ident)
    if pid is None:
        draft.warnings.append(f"{kind} {scheme} {ident!r} is not a valid identifier")
    elif kind == "altIdentifier":
        draft.add_pid(pid)
    else:
        draft.add_related(pid, _RELATIONS[kind], "Dataset" if kind == "dataset" else None)


def parse_grant_agreement(value: str) -> Funding | None:
    """``info:eu-repo/grantAgreement/EC/FP7/244909/EU/Making Capabilities Work/WorkAble``.

    The three-part form (funder, programme, project) is the minimum; the six-part form adds
    jurisdiction, project name and acronym. Fields are ``%2F``-escaped; a name holding a bare
    ``/`` (seen in practice) is joined back rather than shifting the acronym.
    """
    parts = value[len(_GRANT) :].split("/") if value.startswith(_GRANT) else []
    if len(parts) > 6:
        parts = [*parts[:4], "/".join(parts[4:-1]), parts[-1]]
    parts = [clean(unquote(p)) or "" for p in parts] + [""] * (6 - len(parts))
    code, program, project, jurisdiction, name, acronym = parts[:6]
    if not (code and project):
        return None
    funder_name, funder_id = _FUNDERS.get(code, (code, None))
    return Funding(
        funder_name=funder_name,
        funder_id=funder_id,
        funder_id_type="Crossref Funder ID" if funder_id else None,
        funding_stream=program or None,
        award_number=project,
        award_title=name or None,
        funder_code=code,
        jurisdiction=jurisdiction or None,
        project_acronym=acronym or None,
    )


def _rights(text: str, draft: Draft) -> None:
    value = text.strip()
    if len(value) > _LONGEST_RIGHTS_TERM and (" " in value or "\n" in value or "\t" in value):
        return  # a rights statement in prose: neither an access term nor a licence URL
    value = clean(value) or ""
    if not value or draft.set_access(access_right_from(value)):
        return
    url = normalize_pid("url", value)
    if url is not None:
        draft.licenses.append(License(url.value))


_LONGEST_RIGHTS_TERM = 64  # "info:eu-repo/semantics/embargoedAccess", "metadata only access"


def _language(text: str, draft: Draft) -> None:
    value = clean(text)
    if not value:
        return
    code = normalize_language(value)
    if code:
        draft.languages.append(code)
    else:
        draft.warnings.append(f"language {value!r} is not an ISO 639 code")


_HANDLERS: dict[str, Callable[[str, Draft], None]] = {
    "creator": _creator,
    "contributor": _contributor,
    "subject": _subject,
    "description": _description,
    "publisher": _publisher,
    "date": _date,
    "type": _type,
    "identifier": _identifier,
    "relation": _relation,
    "rights": _rights,
    "language": _language,
}
# By the element's full tag; the elements are those of the DC namespace only (lxml matches
# ``{ns}*`` in C, and never against comments, processing instructions or entities).
_BY_TAG: dict[str, Callable[[str, Draft], None]] = {_DC + n: h for n, h in _HANDLERS.items()}
_TITLE = _DC + "title"
_DC_ELEMENTS = _DC + "*"
