"""Metadata format mappers: one harvested record in, one ``Product`` out. Pure: no Django.

    from aggregation.formats import map_record
    product = map_record(raw_xml, claimed_prefix="oai_dc")
    product.to_dict()   # for a JSONField; Product.from_dict() reads it back

The format is recognised by the namespace of the element inside OAI-PMH ``<metadata>``, never by
the prefix the server claims (servers mislabel: DataCite's own "oai-1.1" sample is written in the
oai-1.0 namespace). A claimed prefix that disagrees only adds a warning to the Product.

Formats, by the namespace and name of that element:

* ``oai_dc``: ``dc`` in http://www.openarchives.org/OAI/2.0/oai_dc/ (``oai_dc.py``)
* ``oai_openaire``: ``resource`` in http://namespace.openaire.eu/schema/oaire/ (``openaire.py``)
* ``oai_datacite``: ``oai_datacite`` in http://schema.datacite.org/oai/oai-1.0/ or oai-1.1/
  (``datacite.py``)
* ``datacite``: ``resource`` in http://datacite.org/schema/kernel-N, any N (``datacite.py``)

Errors are typed: ``UnsupportedFormat`` (well-formed, but no mapper for it) and
``MappingError`` (not XML, unsafe XML, a deleted record without metadata, a broken wrapper).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from lxml import etree

from aggregation import xmlsafe
from aggregation.formats.datacite import (
    DATACITE_KERNEL_PREFIX,
    OAI_DATACITE_NAMESPACES,
    map_datacite,
    map_oai_datacite,
)
from aggregation.formats.errors import FormatError, MappingError, UnsupportedFormat
from aggregation.formats.model import Product
from aggregation.formats.oai_dc import OAI_DC_NS, map_oai_dc
from aggregation.formats.openaire import OAIRE_NS, map_openaire
from aggregation.formats.pids import Pid, detect_pid, normalize_pid

__all__ = [
    "FORMATS",
    "FormatError",
    "MappingError",
    "Pid",
    "Product",
    "UnsupportedFormat",
    "detect_format",
    "detect_pid",
    "map_record",
    "metadata_root",
    "normalize_pid",
]

FORMATS = ("oai_dc", "oai_openaire", "oai_datacite", "datacite")
OAI_PMH_NS = "http://www.openarchives.org/OAI/2.0/"
_RECORD = f"{{{OAI_PMH_NS}}}record"
_HEADER = f"{{{OAI_PMH_NS}}}header"
_METADATA = f"{{{OAI_PMH_NS}}}metadata"

_MAPPERS: dict[str, Callable[[etree._Element], Product]] = {
    "oai_dc": map_oai_dc,
    "oai_openaire": map_openaire,
    "oai_datacite": map_oai_datacite,
    "datacite": map_datacite,
}
# Prefixes servers use for each format (DataCite's provider offers oai_datacite and datacite).
_PREFIX_FORMATS = {
    "oai_dc": {"oai_dc"},
    "oai_openaire": {"oai_openaire"},
    "oai_datacite": {"oai_datacite", "datacite"},
    "datacite": {"oai_datacite", "datacite"},
}


def map_record(
    metadata_xml: bytes | str | etree._Element, *, claimed_prefix: str | None = None
) -> Product:
    """Map one record to a Product.

    ``metadata_xml`` is an OAI-PMH ``<record>``, its ``<metadata>`` or the format's root element,
    as bytes (parsed with ``aggregation.xmlsafe``), text, or an lxml element already parsed.
    """
    root = metadata_root(_as_element(metadata_xml))
    fmt = _format_of(root)
    product = _MAPPERS[fmt](root)
    if claimed_prefix and fmt not in _PREFIX_FORMATS.get(claimed_prefix, {claimed_prefix}):
        warning = f"server's prefix {claimed_prefix!r}, but the record is {fmt}"
        product = dataclasses.replace(product, warnings=(*product.warnings, warning))
    return product


def detect_format(metadata_element: etree._Element) -> str:
    """One of ``FORMATS`` for a ``<record>``, ``<metadata>`` or format root element."""
    return _format_of(metadata_root(metadata_element))


_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


def _as_element(data: bytes | str | etree._Element) -> etree._Element:
    if isinstance(data, etree._ElementTree):
        data = data.getroot()
    if isinstance(data, etree._Element):
        return data
    if isinstance(data, str):
        # Text has already been decoded: its declared encoding no longer applies.
        data = _XML_DECLARATION.sub("", data, count=1).encode("utf-8")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"map_record() takes bytes, str or an lxml element, not {type(data)}")
    try:
        return xmlsafe.parse(bytes(data))
    except xmlsafe.XmlError as exc:
        raise MappingError(str(exc)) from exc


def metadata_root(element: etree._Element) -> etree._Element:
    """The format's root element: unwraps an OAI-PMH ``<record>`` and ``<metadata>`` (also
    without the OAI-PMH namespace, as the Guidelines' examples print them)."""
    tag = element.tag
    if tag in (_RECORD, "record"):
        element = _record_metadata(element)
        tag = element.tag
    if tag in (_METADATA, "metadata"):
        inner = [child for child in element if isinstance(child.tag, str)]
        if len(inner) != 1:
            raise MappingError(f"<metadata> must hold exactly one element, not {len(inner)}")
        return inner[0]
    if not isinstance(tag, str):
        raise UnsupportedFormat("not an element")
    if tag.startswith(f"{{{OAI_PMH_NS}}}"):
        raise UnsupportedFormat(
            f"<{tag.rpartition('}')[2]}> is OAI-PMH protocol, not metadata: "
            "pass one <record> or its <metadata>"
        )
    return element


def _record_metadata(record: etree._Element) -> etree._Element:
    namespaced = record.tag == _RECORD
    # The first child of that name, as ``find`` gives it, without ElementPath (a cost paid for
    # every harvested record).
    wanted = _METADATA if namespaced else "metadata"
    for child in record:
        if child.tag == wanted:
            return child
    header = record.find(_HEADER if namespaced else "header")
    if header is not None and header.get("status") == "deleted":
        raise MappingError("record is deleted: it has no metadata to map")
    raise MappingError("record has no <metadata>")


def _format_of(root: etree._Element) -> str:
    tag = root.tag
    if not isinstance(tag, str):
        raise UnsupportedFormat("not an element")
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if namespace == OAI_DC_NS and local == "dc":
        return "oai_dc"
    if namespace == OAIRE_NS and local == "resource":
        return "oai_openaire"
    if namespace in OAI_DATACITE_NAMESPACES and local == "oai_datacite":
        return "oai_datacite"
    if namespace.startswith(DATACITE_KERNEL_PREFIX) and local == "resource":
        return "datacite"
    raise UnsupportedFormat(f"no mapper for <{local}> in namespace {namespace or '(none)'!r}")
