"""The one way this service parses XML it did not write: harvested pages, records and schemas.

Harvested XML comes from hundreds of servers we do not control, so every parse goes through
``make_parser`` (or ``parse``), which turns off everything that lets a document reach outside
itself or grow without bound:

* ``resolve_entities=False``: entity references stay references; nothing is substituted, so
  neither a "billion laughs" nest of internal entities nor an external entity
  (``<!ENTITY x SYSTEM "file:///etc/passwd">``) is ever expanded or read;
* ``load_dtd=False``, ``dtd_validation=False``: no external DTD subset is fetched;
* ``no_network=True``: libxml2 refuses any http/ftp fetch even if something asked for one;
* ``huge_tree=False``: libxml2 keeps its own hard limits (text nodes, nesting 256 deep, and
  the entity amplification guard that refuses a billion-laughs DTD outright);
* comments and processing instructions are dropped while parsing, so text that a comment or a
  ``<?pi?>`` splits in two still reads as one string (``el.text``).

``parse`` adds explicit limits on top: at most ``MAX_BYTES`` of input and ``MAX_DEPTH`` levels of
nesting, and by default no ``<!DOCTYPE>`` at all. OAI-PMH responses and the metadata formats in
them are defined by XML Schemas and never need a DTD, so a document that carries one is refused
rather than half-processed (the same stance as defusedxml's ``forbid_dtd``), and refused before
the parser sees it when its prolog shows one.

Parsers are cached per thread: an lxml parser must not be used by two threads at once.
"""

from __future__ import annotations

import functools
import threading
from typing import Final

from lxml import etree

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MalformedXml",
    "UnsafeXml",
    "XmlError",
    "check_depth",
    "make_parser",
    "parse",
]

MAX_BYTES: Final = 50 * 1024 * 1024
# libxml2 itself stops at 256 levels unless huge_tree is set; a harvested record needs ~10.
MAX_DEPTH: Final = 256


class XmlError(ValueError):
    """Base class: the bytes are not XML this service accepts."""


class MalformedXml(XmlError):
    """The input is not well-formed XML (the parser's message is kept)."""


class UnsafeXml(XmlError):
    """Well-formed perhaps, but over a limit or carrying a DTD: refused before use."""


def make_parser(*, resolvers: tuple[etree.Resolver, ...] = ()) -> etree.XMLParser:
    """A new parser with the safe settings above; ``resolvers`` are added in order.

    Resolvers are how schema loading maps ``schemaLocation``s to bundled files (see
    ``aggregation.formats.xsd``); everything else needs none.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    for resolver in resolvers:
        parser.resolvers.add(resolver)
    return parser


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = make_parser()
    return parser


def parse(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> etree._Element:
    """Parse ``data`` with the safe parser and return the root element.

    Raises ``UnsafeXml`` for input over ``max_bytes`` (checked before parsing), nesting deeper
    than ``max_depth`` or a DOCTYPE, and ``MalformedXml`` for anything
    the parser rejects. Never returns a partially parsed tree.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse() takes bytes, not {type(data).__name__}")
    if len(data) > max_bytes:
        raise UnsafeXml(f"document of {len(data):,} bytes is over the limit of {max_bytes:,}")
    data = data if isinstance(data, bytes) else bytes(data)
    if _declares_dtd(data):
        raise UnsafeXml("document declares a DTD (<!DOCTYPE>), which harvested XML never needs")
    try:
        root = etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc}") from exc
    if root is None:  # lxml returns None for some recovered empty documents
        raise MalformedXml("no root element")
    if _has_dtd(root):  # one the prolog check could not see
        raise UnsafeXml("document declares a DTD (<!DOCTYPE>), which harvested XML never needs")
    # Nesting cannot exceed the number of tags: a small record needs no walk at all. (Each tag
    # starts with a 0x3C byte in every encoding libxml2 detects by itself: UTF-8, UTF-16, UTF-32.)
    if data.count(b"<") > max_depth:
        check_depth(root, max_depth)
    return root


_BYTE_ORDER_MARKS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_SPACE: Final = frozenset(b" \t\r\n")


def _declares_dtd(data: bytes) -> bool:
    """Whether the prolog holds ``<!DOCTYPE``, read from the bytes before any parsing: libxml2
    loads an external parameter entity of an internal subset (``<!ENTITY % p SYSTEM
    "/dev/zero"> %p;``) whatever the parser's settings, so a DTD must never reach it.

    The prolog is a byte order mark, then declarations, comments and white space before the
    first tag. Markup is ASCII: in UTF-8 and the 8-bit encodings its bytes are as they are, in
    UTF-16 and UTF-32 (zero bytes among the first four) they are once the zero bytes are
    dropped. Anything else after the prolog (the root, or junk) is the parser's to judge."""
    probe = data.replace(b"\x00", b"") if b"\x00" in data[:4] else data
    at = next((len(bom) for bom in _BYTE_ORDER_MARKS if probe.startswith(bom)), 0)
    while True:
        while at < len(probe) and probe[at] in _SPACE:
            at += 1
        if probe.startswith(b"<?", at):
            close = b"?>"
        elif probe.startswith(b"<!--", at):
            close = b"-->"
        else:
            return probe.startswith(b"<!DOCTYPE", at)
        end = probe.find(close, at + 2)
        if end < 0:
            return False  # unterminated: not well-formed, which the parser reports
        at = end + len(close)


def _has_dtd(root: etree._Element) -> bool:
    docinfo = root.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None


def check_depth(root: etree._Element, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``UnsafeXml`` when ``root`` nests deeper than ``max_depth`` levels (root is 1).

    One XPath (``*/*/…/*``, ``max_depth`` steps) asks libxml2 whether any element lies deeper:
    evaluated in C, step by step over node sets, so it needs no Python recursion and costs a
    fraction of a parse (an ``iterwalk`` over the same tree is slower than parsing it).
    """
    if _too_deep(max_depth)(root):
        raise UnsafeXml(f"document nests deeper than {max_depth} levels")


@functools.lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    return etree.XPath("boolean(" + "/".join(["*"] * max_depth) + ")")
