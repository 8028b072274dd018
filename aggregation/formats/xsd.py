"""Offline XSD validation of ``oai_openaire`` records against the bundled OpenAIRE Guidelines
for Literature Repositories v4 schema (``aggregation/schemas/openaire-4.0``, the Guidelines'
``schemas/4.0``; origin and licence in its SOURCES.md).

Every ``schemaLocation`` resolves to a bundled file or fails: a resolver maps the remote
locations the schema names (W3C's ``xml.xsd``) to the local copy and refuses anything else, and
the schema is parsed with ``aggregation.xmlsafe``'s parser, so nothing is ever fetched.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from lxml import etree

from aggregation import xmlsafe
from aggregation.formats import metadata_root
from aggregation.formats.errors import FormatError

__all__ = ["SCHEMA_DIR", "SchemaFetchRefused", "openaire_v4_schema", "validate_xsd"]

SCHEMA_DIR: Final = Path(__file__).resolve().parent.parent / "schemas" / "openaire-4.0"

# Remote schemaLocations in the bundled XSDs (and the one records carry), served from disk.
_BUNDLED = {
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
    "http://www.w3.org/2009/01/xml.xsd": "xml.xsd",
    "https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd": "openaire.xsd",
}


class SchemaFetchRefused(ValueError):
    """A schema referred to something that is not bundled: never fetched."""


class _BundledResolver(etree.Resolver):
    """Maps schemaLocations to files in ``SCHEMA_DIR`` and refuses everything else."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        name = _BUNDLED.get(system_url)
        if name is not None:
            return self.resolve_filename(str(SCHEMA_DIR / name), context)
        path = Path(unquote(system_url.removeprefix("file://")))
        if path.is_absolute() and path.parent == SCHEMA_DIR and path.is_file():
            return self.resolve_filename(str(path), context)
        raise SchemaFetchRefused(f"schema location {system_url!r} is not bundled")


_local = threading.local()


def openaire_v4_schema() -> etree.XMLSchema:
    """The compiled v4 schema (one per thread: validators keep per-call state)."""
    schema = getattr(_local, "schema", None)
    if schema is None:
        parser = xmlsafe.make_parser(resolvers=(_BundledResolver(),))
        document = etree.parse(str(SCHEMA_DIR / "openaire.xsd"), parser)
        schema = _local.schema = etree.XMLSchema(document)
    return schema


def validate_xsd(element: etree._Element) -> list[str]:
    """XSD errors (``line N: message``) for a v4 record, empty when it is valid."""
    try:
        root = metadata_root(element)
    except FormatError as exc:
        return [str(exc)]
    schema = openaire_v4_schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
