"""aggregation.xmlsafe: no entity expansion, no file or network access, size and depth limits."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from aggregation import xmlsafe
from aggregation.formats import FormatError, MappingError, map_record

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b'<!ENTITY secret "FETCHED-OVER-HTTP">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-FILE-CONTENT")
    return path


def _all_text(root: etree._Element) -> str:
    return etree.tostring(root, encoding="unicode") + "".join(root.itertext())


def _parse_anyway(doc: bytes) -> etree._Element:
    """What the safe parser's settings alone make of a document that ``parse`` would refuse."""
    return etree.fromstring(doc, xmlsafe.make_parser())


def test_billion_laughs_is_refused_quickly() -> None:
    for parse in (xmlsafe.parse, _parse_anyway):
        start = time.perf_counter()
        # Refused by us (a DTD) or, parsed anyway, by libxml2's amplification guard (huge_tree
        # stays off): never expanded either way.
        with pytest.raises((xmlsafe.XmlError, etree.XMLSyntaxError)):
            parse(BILLION_LAUGHS)
        assert time.perf_counter() - start < 1.0
    with pytest.raises(MappingError):
        map_record(BILLION_LAUGHS)


def test_nested_internal_entities_stay_references_even_when_parsed() -> None:
    doc = b"""<!DOCTYPE t [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]><t>x&b;y</t>"""
    root = _parse_anyway(doc)
    assert "lol" not in "".join(root.itertext())  # nothing substituted
    assert etree.tostring(root) == b"<t>x&b;y</t>"  # the reference stays a reference
    with pytest.raises(xmlsafe.UnsafeXml, match="DTD"):
        xmlsafe.parse(doc)


def test_external_file_entity_is_never_read(secret_file: Path) -> None:
    doc = (f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret_file}">]><x>A&xxe;B</x>').encode()
    assert "TOP-SECRET" not in _all_text(_parse_anyway(doc))
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(doc)


def test_etc_passwd_is_never_read() -> None:
    doc = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'
    assert "root:" not in _all_text(_parse_anyway(doc))
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(doc)


def _doctypes(path: Path) -> list[bytes]:
    """Documents whose DTD names ``path``: libxml2 opens an external parameter entity, or an
    external subset named by a local path, whatever the parser's settings."""
    entity = f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{path}"> %p;]><r/>'
    return [
        entity.encode(),
        f'<!DOCTYPE r SYSTEM "{path}"><r/>'.encode(),
        f'<?xml version="1.0"?>\n<!-- a <tag> in a comment -->\n<?pi x?>{entity}'.encode(),
        ("\ufeff" + entity).encode(),
        f'<?xml version="1.0" encoding="UTF-16"?>{entity}'.encode("utf-16"),
        f'<?xml version="1.0" encoding="UTF-16BE"?>{entity}'.encode("utf-16-be"),
        f'<?xml version="1.0" encoding="UTF-32"?>{entity}'.encode("utf-32"),
    ]


def test_a_dtd_is_refused_before_the_parser_can_open_anything(tmp_path: Path) -> None:
    # A FIFO with no writer: opening it for reading blocks for ever, as /dev/zero never ends.
    trap = tmp_path / "trap"
    os.mkfifo(trap)
    for doc in _doctypes(trap):
        outcome: list[BaseException | None] = []

        thread = threading.Thread(target=_parse_into, args=(doc, outcome), daemon=True)
        thread.start()
        thread.join(5)
        assert outcome, f"the parser opened {trap} for {doc[:60]!r}"
        assert isinstance(outcome[0], xmlsafe.UnsafeXml), doc[:60]


def _parse_into(doc: bytes, outcome: list[BaseException | None]) -> None:
    try:
        xmlsafe.parse(doc)
        outcome.append(None)
    except BaseException as exc:
        outcome.append(exc)


def test_a_prolog_without_a_dtd_still_parses() -> None:
    for doc in [
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <!DOCTYPE in a comment> --><?pi?><r>x</r>',
        '<?xml version="1.0" encoding="UTF-16"?><r>é</r>'.encode("utf-16"),
        b"  <r/>",
    ]:
        assert xmlsafe.parse(doc).tag == "r"


def test_network_entities_and_dtds_are_never_fetched(loopback: tuple[str, list[str]]) -> None:
    base, hits = loopback
    documents = [
        f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{base}/entity">]><x>&xxe;</x>',
        f'<!DOCTYPE x SYSTEM "{base}/external.dtd"><x>&secret;</x>',
        f'<!DOCTYPE x [<!ENTITY % p SYSTEM "{base}/param.dtd"> %p;]><x>&secret;</x>',
        f'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{base}/xi"/></x>',
    ]
    for text in documents:
        try:
            root = _parse_anyway(text.encode())
        except etree.XMLSyntaxError:
            continue  # refusing is fine too; fetching is not
        assert "FETCHED" not in _all_text(root)
    for text in documents:
        with pytest.raises(FormatError):  # refused, or <x> is no metadata format
            map_record(text.encode())
    assert hits == []


def test_oversized_input_is_refused_before_parsing() -> None:
    assert xmlsafe.MAX_BYTES == 50 * 1024 * 1024
    with pytest.raises(xmlsafe.UnsafeXml, match="over the limit"):
        xmlsafe.parse(b"<a>" + b"x" * 200 + b"</a>", max_bytes=100)


def test_depth_limits() -> None:
    assert xmlsafe.MAX_DEPTH == 256
    nested = b"<a>" * 20 + b"</a>" * 20
    assert xmlsafe.parse(nested, max_depth=20) is not None
    with pytest.raises(xmlsafe.UnsafeXml, match="deeper than 19"):
        xmlsafe.parse(nested, max_depth=19)
    too_deep = b"<a>" * 300 + b"</a>" * 300  # libxml2 itself stops at 256 without huge_tree
    with pytest.raises(xmlsafe.XmlError):
        xmlsafe.parse(too_deep)
    with pytest.raises(MappingError):
        map_record(too_deep)


def test_check_depth_walks_without_recursion() -> None:
    root = etree.Element("a")
    node = root
    for _ in range(5000):  # built in Python, past any parser limit and the recursion limit
        node = etree.SubElement(node, "a")
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.check_depth(root, 4000)


def test_comments_and_processing_instructions_do_not_split_text() -> None:
    root = xmlsafe.parse(b"<t>Studies <!-- c --> of <?pi x?>Unicorns</t>")
    assert root.text == "Studies  of Unicorns"
    assert len(root) == 0


def test_malformed_and_empty_input() -> None:
    for data in (b"", b"<a>", b"not xml", b"<a></b>", b"\x00\x01"):
        with pytest.raises(xmlsafe.MalformedXml):
            xmlsafe.parse(data)
    with pytest.raises(TypeError):
        xmlsafe.parse("<a/>")  # type: ignore[arg-type]


def test_parsers_are_per_thread() -> None:
    seen = []

    def grab() -> None:
        seen.append(xmlsafe._thread_parser())

    threads = [threading.Thread(target=grab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] is not seen[1]
