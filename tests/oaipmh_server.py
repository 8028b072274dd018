"""A real OAI-PMH server on loopback for harvest tests and the harvest benchmark.

It speaks real HTTP on ``127.0.0.1`` (a thread of the test process, or a child process in the
benchmark) and answers from a script: each route matches request arguments and serves its
replies in order, the last one repeating. Replies are real pages (``tests/fixtures/oai/harvest``,
copied from ``shared/data/oai``; see SOURCES.md there) or pages derived from them by the helpers
below (split into token-chained pages, a record's metadata taken away…), with any HTTP status and
headers, a delay (for timeouts), or a dropped connection.

    with OaiServer() as server:
        server.route(Reply(fixture("sickle-synthetic/Identify.xml")), verb="Identify")
        serve_pages(server, paginate(fixture(DSPACE_58), 20))
        harvest(server.url)
        server.requests   # every request's arguments, in order
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "oai" / "harvest"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
Q = f"{{{OAI_NS}}}"
DSPACE_58 = "dspace-mit/ListRecords_oai_dc_set-com_1721.1_140587_58records.xml"
IDENTIFY = "sickle-synthetic/Identify.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection without a word
    cut: int | None = None  # send only this many bytes of the body, then close
    trickle: float = 0.0  # seconds between pieces of the body (a server that trickles)
    trickle_bytes: int = 1  # bytes per piece


@dataclass
class _Route:
    match: dict[str, str]
    replies: list[Reply]
    served: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class OaiServer:
    """``route()`` what to answer; ``requests`` records every request's arguments."""

    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[dict[str, str]] = []
        # Bytes of each trickled body sent before the client hung up (or all of it).
        self.trickled: list[int] = []
        self._lock = threading.Lock()
        self._trickle_ended = threading.Condition(self._lock)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/oai/request"

    def start(self) -> OaiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OaiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, replies: Reply | list[Reply], **match: str) -> None:
        """Answer requests whose arguments include ``match``. The most specific route wins, and
        of equally specific ones the last added (so a test can change what a server says)."""
        listed = replies if isinstance(replies, list) else [replies]
        with self._lock:
            self.routes.append(_Route(dict(match), listed))

    def answer(self, params: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(params)
            routes = [r for r in self.routes if r.match.items() <= params.items()]
            if not routes:
                return Reply(b"no route for this request", status=404, content_type="text/plain")
            return max(reversed(routes), key=lambda r: len(r.match)).next_reply()

    def trickles_ended(self, count: int, *, timeout: float = 30) -> list[int]:
        """``trickled`` once ``count`` trickled bodies have ended (the server notices that the
        client hung up at its next write)."""
        with self._trickle_ended:
            self._trickle_ended.wait_for(lambda: len(self.trickled) >= count, timeout=timeout)
            return list(self.trickled)

    def asked(self, **match: str) -> list[dict[str, str]]:
        return [p for p in self.requests if match.items() <= p.items()]


def _handler_for(server: OaiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._reply(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            self._reply(dict(parse_qsl(body, keep_blank_values=True)))

        def _reply(self, params: dict[str, str]) -> None:
            reply = server.answer(params)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.cut is not None:
                self.wfile.write(reply.body[: reply.cut])
                self.close_connection = True
                return
            if reply.trickle:
                self._trickle(reply)
                return
            self.wfile.write(reply.body)

        def _trickle(self, reply: Reply) -> None:
            sent, body, step = 0, reply.body, reply.trickle_bytes
            try:
                while sent < len(body):
                    self.wfile.write(body[sent : sent + step])
                    self.wfile.flush()
                    sent += len(body[sent : sent + step])
                    time.sleep(reply.trickle)
            except OSError:  # the client gave up and closed the connection
                self.close_connection = True
            with server._trickle_ended:
                server.trickled.append(sent)
                server._trickle_ended.notify_all()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --- pages derived from real ones ---------------------------------------------------------------


def _tree(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def records_of(body: bytes) -> list[etree._Element]:
    return _tree(body).findall(f"{Q}ListRecords/{Q}record")


def paginate(body: bytes, per_page: int, *, prefix: str = "page") -> list[bytes]:
    """Split a real ListRecords page into pages of ``per_page`` records chained by resumption
    tokens (``page2``, ``page3``…), the last with an empty token, as DSpace ends its lists."""
    root = _tree(body)
    records = root.findall(f"{Q}ListRecords/{Q}record")
    chunks = [records[i : i + per_page] for i in range(0, len(records), per_page)]
    tokens = [f"{prefix}{n + 2}" for n in range(len(chunks) - 1)] + [""]
    return [
        page_with(root, chunk, token=token, size=len(records), cursor=n * per_page)
        for n, (chunk, token) in enumerate(zip(chunks, tokens, strict=True))
    ]


def page_with(
    template: etree._Element | bytes,
    records: list[etree._Element],
    *,
    token: str | None = "",
    size: int | None = None,
    cursor: int = 0,
    response_date: str | None = None,
) -> bytes:
    """A ListRecords page like ``template`` holding ``records`` and a resumption token (``None``:
    no token element at all; ``""``: an empty one, the last page)."""
    root = copy.deepcopy(template if isinstance(template, etree._Element) else _tree(template))
    listing = root.find(f"{Q}ListRecords")
    for child in list(listing):
        listing.remove(child)
    for record in records:
        listing.append(copy.deepcopy(record))
    if token is not None:
        element = etree.SubElement(listing, f"{Q}resumptionToken", cursor=str(cursor))
        if size is not None:
            element.set("completeListSize", str(size))
        element.text = token or None
    if response_date:
        root.find(f"{Q}responseDate").text = response_date
    return _serialize(root)


def serve_pages(server: OaiServer, pages: list[bytes], *, prefix: str = "oai_dc") -> None:
    """The first page for a fresh ListRecords request, the others for their tokens."""
    server.route(Reply(pages[0]), verb="ListRecords", metadataPrefix=prefix)
    for page in pages[1:]:
        token = _token_before(pages, page)
        server.route(Reply(page), verb="ListRecords", resumptionToken=token)


def _token_before(pages: list[bytes], page: bytes) -> str:
    previous = pages[pages.index(page) - 1]
    element = _tree(previous).find(f"{Q}ListRecords/{Q}resumptionToken")
    return element.text


def without_metadata(record: etree._Element) -> etree._Element:
    """The record with its ``<metadata>`` taken away (header kept, not deleted)."""
    changed = copy.deepcopy(record)
    changed.remove(changed.find(f"{Q}metadata"))
    return changed


def marked_deleted(record: etree._Element) -> etree._Element:
    """The record with ``status="deleted"`` on its header, metadata kept (servers do this)."""
    changed = copy.deepcopy(record)
    changed.find(f"{Q}header").set("status", "deleted")
    return changed


def identify(granularity: str = "YYYY-MM-DD", deleted_record: str = "persistent") -> bytes:
    """sickle's sample Identify answer, with the granularity and deleted-record policy asked."""
    root = _tree(fixture(IDENTIFY))
    root.find(f"{Q}Identify/{Q}granularity").text = granularity
    root.find(f"{Q}Identify/{Q}deletedRecord").text = deleted_record
    return _serialize(root)


def wrap_metadata(template: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A ListRecords page like ``template`` whose records hold the given metadata documents
    (``(oai identifier, metadata XML)``) — to harvest bare records such as the OpenAIRE v4
    samples."""
    records = []
    for identifier, metadata in items:
        record = etree.Element(f"{Q}record")
        header = etree.SubElement(record, f"{Q}header")
        etree.SubElement(header, f"{Q}identifier").text = identifier
        etree.SubElement(header, f"{Q}datestamp").text = "2024-01-01T00:00:00Z"
        etree.SubElement(record, f"{Q}metadata").append(_tree(metadata))
        records.append(record)
    return page_with(template, records, token=None)
