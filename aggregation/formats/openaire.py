"""``oai_openaire``: OpenAIRE Guidelines for Literature Repositories v4 (application profile of
DataCite 4.1, Dublin Core and OpenAIRE's own ``oaire:`` elements under ``oaire:resource``).

Field by field, following the Guidelines' "Application Profile Overview": ``datacite:*``
elements as in DataCite (``kernel``); ``oaire:resourceType`` with a COAR URI and
``resourceTypeGeneral``; ``datacite:rights`` holding only the COAR access right ("Unlike DataCite,
OpenAIRE restricts the use of this property to indicate the access right"); licences in
``oaire:licenseCondition``; versions as COAR version URIs; ``oaire:file`` pointing at full texts;
``oaire:citationTitle`` naming the journal or book. Records in the wild mix in plain DC
(``dc:title``, ``dc:creator``, ``dc:identifier``); those are read too.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from aggregation.formats import kernel
from aggregation.formats.draft import RANK_COAR, RANK_FREE_TEXT, Draft
from aggregation.formats.model import License, Product
from aggregation.formats.people import person_from_text
from aggregation.formats.pids import normalize_pid
from aggregation.formats.values import clean, clean_paragraphs, element_text, normalize_date
from aggregation.formats.vocab import (
    OPENAIRE_RESOURCE_TYPE_GENERAL,
    coar_type_from_label,
    coar_type_from_uri,
    version_from,
)

__all__ = ["OAIRE_NS", "map_openaire"]

OAIRE_NS = "http://namespace.openaire.eu/schema/oaire/"

# Guidelines v4, "File Location (MA)", attribute objectType.
_FULLTEXT_OBJECTS = frozenset({"fulltext", ""})


def map_openaire(root: etree._Element) -> Product:
    draft = Draft("oai_openaire")
    for name, child in kernel.children(root):
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(child, draft)
    return draft.finish()


def _resource_type(el: etree._Element, draft: Draft) -> None:
    general = (clean(el.get("resourceTypeGeneral")) or "").lower()
    kind = OPENAIRE_RESOURCE_TYPE_GENERAL.get(general)
    if general and kind is None:
        draft.warnings.append(f"resourceTypeGeneral {general!r} is not in the Guidelines' list")
    uri = clean(el.get("uri"))
    label = clean(el.text) or ""
    code = coar_type_from_uri(uri) if uri else None
    if code:
        draft.add_type(RANK_COAR, code, label or uri or "", kind)
        return
    if uri:
        draft.warnings.append(f"resource type URI {uri!r} is not a COAR resource type")
    draft.add_type(RANK_FREE_TEXT, coar_type_from_label(label) if label else None, label, kind)


def _license(el: etree._Element, draft: Draft) -> None:
    uri = clean(el.get("uri"))
    url = normalize_pid("url", uri) if uri else None
    if uri and url is None:
        draft.warnings.append(f"licence URI {uri!r} is not a URL")
    start = clean(el.get("startDate"))
    label = clean(element_text(el))
    if url or label:
        draft.licenses.append(License(url.value if url else None, label, normalize_date(start)))


def _version(el: etree._Element, draft: Draft) -> None:
    draft.version = draft.version or version_from(el.get("uri"), clean(el.text))


def _file(el: etree._Element, draft: Draft) -> None:
    url = normalize_pid("url", clean(el.text) or "")
    if url is None:
        if el.text and el.text.strip():
            draft.warnings.append(f"file location {el.text.strip()!r} is not a URL")
        return
    object_type = (el.get("objectType") or "").strip().lower()
    draft.add_url(url.value, fulltext=object_type in _FULLTEXT_OBJECTS)


def _citation_title(el: etree._Element, draft: Draft) -> None:
    draft.container_title = draft.container_title or clean(element_text(el))


def _publisher(el: etree._Element, draft: Draft) -> None:
    draft.publisher = draft.publisher or clean(element_text(el))


def _description(el: etree._Element, draft: Draft) -> None:
    text = clean_paragraphs(element_text(el))
    if text:
        draft.descriptions.append(text)


def _dc_title(el: etree._Element, draft: Draft) -> None:
    title_type = "AlternativeTitle" if draft.titles else None
    kernel.add_title(draft, element_text(el), kernel.lang_of(el), title_type)


def _dc_creator(el: etree._Element, draft: Draft) -> None:
    found = person_from_text(element_text(el), draft.warnings)
    if found is not None:
        draft.creators.append(found)


_HANDLERS: dict[str, Callable[[etree._Element, Draft], None]] = {
    "titles": kernel.read_titles,
    "creators": kernel.read_creators,
    "contributors": kernel.read_contributors,
    "fundingReferences": kernel.read_funding_references,
    "alternateIdentifiers": kernel.read_alternate_identifiers,
    "relatedIdentifiers": kernel.read_related_identifiers,
    "dates": kernel.read_dates,
    "language": kernel.read_language,
    "publisher": _publisher,
    "resourceType": _resource_type,
    "description": _description,
    "identifier": kernel.read_identifier,  # datacite:identifier, or a stray dc:identifier
    "rights": kernel.read_rights,
    "subjects": kernel.read_subjects,
    "licenseCondition": _license,
    "version": _version,
    "file": _file,
    "citationTitle": _citation_title,
    "title": _dc_title,
    "creator": _dc_creator,
}
