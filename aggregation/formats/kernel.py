"""Readers for DataCite-kernel-shaped elements, shared by the DataCite mapper (kernel 2.x-4.x)
and the OpenAIRE v4 mapper, whose ``datacite:`` elements follow DataCite Metadata Schema 4.1
(Guidelines v4, "Application Profile Overview").

Children are matched on local name only: the elements' namespaces differ between kernel
versions and the application profile, their shapes do not.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from aggregation.formats.draft import RANK_CONTROLLED, RANK_FREE_TEXT, Draft
from aggregation.formats.model import DateEntry, Funding, License, Person, Subject, Title
from aggregation.formats.nameids import normalize_ror
from aggregation.formats.people import affiliation, name_identifier, person
from aggregation.formats.pids import Pid, detect_pid, is_known_kind, normalize_pid
from aggregation.formats.values import clean, clean_paragraphs, element_text, normalize_language
from aggregation.formats.vocab import access_right_from, coar_type_from_label, kind_of

__all__ = ["XML_LANG", "children", "identify", "lang_of", "local_name"]

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def local_name(tag: object) -> str:
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return ""
    return tag[tag.rfind("}") + 1 :]


def children(el: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            yield tag[tag.rfind("}") + 1 :], child


def lang_of(el: etree._Element) -> str | None:
    return normalize_language(el.get(XML_LANG))


# --- identifiers ----------------------------------------------------------------------------------


def identify(kind: str | None, value: str | None, warnings: list[str]) -> Pid | None:
    """The Pid for a typed identifier, falling back to detection when the type is wrong or
    unknown to us; a URL-typed value that is really a DOI or Handle URL becomes that PID."""
    text = clean(value)
    if not text:
        return None
    declared = (kind or "").strip()
    pid = normalize_pid(declared, text) if declared else None
    if pid is not None and pid.kind != "url":
        return pid
    detected = detect_pid(text)
    if pid is not None:  # a URL: keep it unless it is a resolver URL of a real PID
        return detected if detected is not None else pid
    known = is_known_kind(declared)
    if detected is not None and known and detected.kind != "url":
        warnings.append(f"{declared} {text!r} read as {detected.kind}")
    elif detected is None and known:
        warnings.append(f"invalid {declared} {text!r} dropped")
    return detected


def read_identifier(el: etree._Element, draft: Draft) -> None:
    """The primary identifier; its resolvable URL is the landing page."""
    text = clean(element_text(el))
    pid = identify(el.get("identifierType"), text, draft.warnings)
    if pid is None:
        return
    draft.add_pid(pid)
    given_url = normalize_pid("url", text) if text else None
    landing = given_url.value if given_url else pid.url
    if landing:
        draft.add_url(landing)


def read_alternate_identifiers(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "alternateIdentifier":
            pid = identify(child.get("alternateIdentifierType"), child.text, draft.warnings)
            if pid is not None:
                draft.add_pid(pid)


def read_related_identifiers(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name != "relatedIdentifier":
            continue
        pid = identify(child.get("relatedIdentifierType"), child.text, draft.warnings)
        if pid is not None:
            relation = clean(child.get("relationType"))
            draft.add_related(pid, relation, clean(child.get("resourceTypeGeneral")))


# --- people ---------------------------------------------------------------------------------------


def read_person(el: etree._Element, warnings: list[str], role: str | None = None) -> Person | None:
    name = given = family = name_type = None
    identifiers = []
    affiliations = []
    for tag, child in children(el):
        if tag in ("creatorName", "contributorName"):
            name, name_type = element_text(child), child.get("nameType")
        elif tag == "givenName":
            given = child.text
        elif tag == "familyName":
            family = child.text
        elif tag == "nameIdentifier":
            ident = name_identifier(
                child.get("nameIdentifierScheme"), child.text, warnings, child.get("schemeURI")
            )
            if ident is not None:
                identifiers.append(ident)
        elif tag == "affiliation":
            aff = affiliation(
                element_text(child),
                child.get("affiliationIdentifier"),
                child.get("affiliationIdentifierScheme"),
            )
            if aff is not None:
                affiliations.append(aff)
    return person(
        name,
        given=given,
        family=family,
        name_type=name_type,
        identifiers=tuple(dict.fromkeys(identifiers)),
        affiliations=tuple(dict.fromkeys(affiliations)),
        role=role,
    )


def read_creators(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "creator":
            found = read_person(child, draft.warnings)
            if found is not None:
                draft.creators.append(found)


def read_contributors(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name != "contributor":
            continue
        role = child.get("contributorType")
        found = read_person(child, draft.warnings, role)
        if found is None:
            continue
        if role == "Funder":  # DataCite kernel 2 and 3 named funders as contributors
            funder_id = found.identifiers[0].value if found.identifiers else None
            draft.funding.append(Funding(funder_name=found.name, funder_id=funder_id))
        else:
            draft.contributors.append(found)


# --- titles, dates, subjects, descriptions --------------------------------------------------------

_TITLE_TYPES = {
    "alternativetitle": "alternative",
    "subtitle": "subtitle",
    "translatedtitle": "translated",
    "other": "other",
}


def read_titles(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "title":
            add_title(draft, element_text(child), lang_of(child), child.get("titleType"))


def add_title(draft: Draft, text: str | None, lang: str | None, title_type: str | None) -> None:
    value = clean(text)
    if not value:
        return
    key = "".join(title_type.split()).lower() if title_type else ""
    kind = _TITLE_TYPES.get(key, "other") if key else "main"
    draft.titles.append(Title(value, lang, kind))


def read_dates(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "date":
            value = clean(child.text)
            if value:
                draft.dates.append(DateEntry(value, clean(child.get("dateType"))))


def read_subjects(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name != "subject":
            continue
        value = clean(element_text(child))
        if value:
            scheme = clean(child.get("subjectScheme"))
            uri = clean(child.get("valueURI"))
            draft.subjects.append(Subject(value, scheme, uri, lang_of(child)))


def read_descriptions(el: etree._Element, draft: Draft) -> None:
    """Abstracts first: ``Product.description`` is the first one."""
    found = []
    for name, child in children(el):
        if name == "description":
            text = clean_paragraphs(element_text(child))
            if text:
                found.append((child.get("descriptionType") != "Abstract", text))
    draft.descriptions.extend(text for _, text in sorted(found, key=lambda f: f[0]))


def read_language(el: etree._Element, draft: Draft) -> None:
    text = clean(el.text)
    if not text:
        return
    code = normalize_language(text)
    if code:
        draft.languages.append(code)
    else:
        draft.warnings.append(f"language {text!r} is not an ISO 639 code")


# --- rights, types, funding -----------------------------------------------------------------------


def read_rights(el: etree._Element, draft: Draft) -> None:
    """One ``rights`` element: an access right (COAR or info:eu-repo) or else a licence."""
    uri = clean(el.get("rightsURI") or el.get("uri"))
    text = clean(element_text(el))
    if draft.set_access(access_right_from(uri) if uri else None):
        return
    if draft.set_access(access_right_from(text) if text else None):
        return
    url = normalize_pid("url", uri) if uri else None
    if url is not None or text:
        draft.licenses.append(License(url.value if url else None, text))


def read_rights_list(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "rights":
            read_rights(child, draft)


def read_datacite_type(el: etree._Element, draft: Draft) -> None:
    """resourceTypeGeneral is controlled; the free-text value may refine it (Text → journal
    article) but never move it to another kind (Dataset stays a dataset)."""
    general = clean(el.get("resourceTypeGeneral")) or ""
    text = clean(el.text) or ""
    general_code = coar_type_from_label(general) if general else None
    text_code = coar_type_from_label(text) if text else None
    original = f"{general}/{text}" if general and text else general or text
    if text_code and (
        general_code is None
        or general in ("Text", "Other")
        or kind_of(text_code) == kind_of(general_code)
    ):
        draft.add_type(RANK_CONTROLLED, text_code, original)
    elif general_code:
        draft.add_type(RANK_CONTROLLED, general_code, original)
    elif original:
        draft.add_type(RANK_FREE_TEXT, None, original)


def read_funding_references(el: etree._Element, draft: Draft) -> None:
    for name, child in children(el):
        if name == "fundingReference":
            funding = read_funding(child)
            if funding is not None:
                draft.funding.append(funding)


def read_funding(el: etree._Element) -> Funding | None:
    values: dict[str, str | None] = {}
    for name, child in children(el):
        if name == "funderIdentifier":
            values["funder_id_type"] = clean(child.get("funderIdentifierType"))
            values["funder_id"] = funder_id(child.text, values["funder_id_type"])
        elif name == "awardNumber":
            values["award_number"] = clean(child.text)
            values["award_uri"] = clean(child.get("awardURI"))
        elif name in _FUNDING_FIELDS:
            values[_FUNDING_FIELDS[name]] = clean(element_text(child))
    if not values.get("funder_id"):
        values.pop("funder_id_type", None)
    if not any(values.values()):
        return None
    return Funding(**values)


_FUNDING_FIELDS = {
    "funderName": "funder_name",
    "fundingStream": "funding_stream",
    "awardTitle": "award_title",
}


def funder_id(text: str | None, id_type: str | None) -> str | None:
    """Crossref Funder IDs as bare DOIs (``10.13039/501100000780``), ROR as its URL."""
    value = clean(text)
    if not value:
        return None
    kind = (id_type or "").lower()
    if "crossref" in kind and value.isdigit():
        return f"10.13039/{value}"
    pid = detect_pid(value)
    if pid is not None and pid.kind == "doi":
        return pid.value
    if kind == "ror":
        return normalize_ror(value) or value
    return value


def read_related_items(el: etree._Element, draft: Draft) -> None:
    """DataCite 4.4 relatedItem: the journal an article is published in gives the container."""
    for name, child in children(el):
        if name != "relatedItem":
            continue
        relation = clean(child.get("relationType"))
        for sub, node in children(child):
            if sub == "relatedItemIdentifier":
                kind = node.get("relatedItemIdentifierType")
                pid = identify(kind, node.text, draft.warnings)
                if pid is not None:
                    draft.add_related(pid, relation, clean(child.get("relatedItemType")))
            elif sub == "titles" and relation == "IsPublishedIn" and not draft.container_title:
                title = next((c for n, c in children(node) if n == "title"), None)
                draft.container_title = clean(element_text(title)) if title is not None else None
