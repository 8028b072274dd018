"""DataCite Metadata Schema records, bare (``resource`` in a ``kernel-N`` namespace) or in the
``oai_datacite`` wrapper that DataCite's OAI-PMH provider uses (oai-1.0 and oai-1.1 namespaces).

Kernel 2.x, 3 and 4.x share the element structure read here (schema.datacite.org/meta/): 4.x
added ``fundingReferences``, name parts, affiliation identifiers and ``relatedItems``; 2.x and 3
put ``rights`` directly under the resource in some records and name funders as contributors of
type ``Funder``. All of it lands in the same Product.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from aggregation.formats import kernel
from aggregation.formats.draft import Draft
from aggregation.formats.errors import MappingError
from aggregation.formats.model import Product
from aggregation.formats.values import clean, element_text, year_of

__all__ = [
    "DATACITE_KERNEL_PREFIX",
    "OAI_DATACITE_NAMESPACES",
    "map_datacite",
    "map_oai_datacite",
]

DATACITE_KERNEL_PREFIX = "http://datacite.org/schema/kernel-"
OAI_DATACITE_NAMESPACES = (
    "http://schema.datacite.org/oai/oai-1.0/",
    "http://schema.datacite.org/oai/oai-1.1/",
)


def map_oai_datacite(root: etree._Element) -> Product:
    """The wrapper's ``payload`` holds the unaltered DataCite record (oai-1.1 ``oai.xsd``)."""
    payload = next((c for n, c in kernel.children(root) if n == "payload"), None)
    if payload is None:
        raise MappingError("oai_datacite record has no <payload>")
    resource = next((c for _, c in kernel.children(payload)), None)
    if resource is None or not resource.tag.startswith("{" + DATACITE_KERNEL_PREFIX):
        raise MappingError("oai_datacite <payload> holds no DataCite <resource>")
    return map_datacite(resource, format_name="oai_datacite")


def map_datacite(root: etree._Element, *, format_name: str = "datacite") -> Product:
    draft = Draft(format_name)
    for name, child in kernel.children(root):
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(child, draft)
    return draft.finish()


def _publisher(el: etree._Element, draft: Draft) -> None:
    draft.publisher = draft.publisher or clean(element_text(el))


def _publication_year(el: etree._Element, draft: Draft) -> None:
    year = year_of(clean(el.text))
    if year is None and el.text and el.text.strip():
        draft.warnings.append(f"publicationYear {el.text.strip()!r} is not a year")
    draft.publication_year = draft.publication_year or year


def _version(el: etree._Element, draft: Draft) -> None:
    draft.version = draft.version or clean(el.text)


_HANDLERS: dict[str, Callable[[etree._Element, Draft], None]] = {
    "identifier": kernel.read_identifier,
    "creators": kernel.read_creators,
    "titles": kernel.read_titles,
    "publisher": _publisher,
    "publicationYear": _publication_year,
    "subjects": kernel.read_subjects,
    "contributors": kernel.read_contributors,
    "dates": kernel.read_dates,
    "language": kernel.read_language,
    "resourceType": kernel.read_datacite_type,
    "alternateIdentifiers": kernel.read_alternate_identifiers,
    "relatedIdentifiers": kernel.read_related_identifiers,
    "version": _version,
    "rightsList": kernel.read_rights_list,
    "rights": kernel.read_rights,
    "descriptions": kernel.read_descriptions,
    "fundingReferences": kernel.read_funding_references,
    "relatedItems": kernel.read_related_items,
}
