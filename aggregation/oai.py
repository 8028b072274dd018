"""The OAI-PMH client: sickle's protocol model over a transport, parser and page reader of our own.

OAI-PMH 2.0 (http://www.openarchives.org/OAI/openarchivesprotocol.html). What sickle 0.7.0 gives
and what is replaced here, and why (README, "Dependency notes", has the references):

* kept: ``sickle.Sickle`` (endpoint, GET/POST, the request arguments of each verb),
  ``sickle.OAIResponse`` (a response with its parameters) and ``sickle.models.Identify``
  (reading an Identify answer);
* replaced: ``Sickle.harvest`` (no timeout unless one is passed, a new connection per request,
  retries only on 503 and only with ``Retry-After`` in seconds, ``raise_for_status`` before the
  body is read, so an OAI-PMH error sent with 422 becomes an HTTP error), the parser behind
  ``OAIResponse.xml`` (``recover=True`` silently repairs malformed pages, dropping records;
  parsed again on every access), the iterators (no way to checkpoint, no guard against a
  repeated resumption token, ``Record`` raising ``AttributeError`` on a record without
  ``<metadata>``), and ``sickle.models.Header``, read the same way by ``read_record`` in one
  pass over the header (``Header`` makes three ElementPath lookups and a regular-expression
  match for every record).

Pure of Django: ``aggregation.harvest`` drives it and stores what it returns. Every wait goes
through the ``sleep`` it is given, so tests never wait.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Final, Protocol

import requests
import urllib3
from lxml import etree
from requests.exceptions import ChunkedEncodingError
from sickle import OAIResponse, Sickle
from sickle.models import Identify
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from aggregation import xmlsafe
from aggregation.errors import (
    BadResumptionToken,
    HttpError,
    MalformedPage,
    NotOaiResponse,
    OaiError,
    ResumptionLoop,
    TransientHarvestError,
)

OAI_NS: Final = "http://www.openarchives.org/OAI/2.0/"
_Q: Final = f"{{{OAI_NS}}}"
_HEADER: Final = f"{_Q}header"
_METADATA: Final = f"{_Q}metadata"
_IDENTIFIER: Final = f"{_Q}identifier"
_DATESTAMP: Final = f"{_Q}datestamp"
DAY: Final = "YYYY-MM-DD"
SECONDS: Final = "YYYY-MM-DDThh:mm:ssZ"
# Statuses worth retrying: the server is overloaded, restarting or rate-limiting (OAI-PMH 2.0,
# section 3.1.2.1 names 503 with Retry-After for flow control; real servers also send 429,
# 500, 502 and 504 for the same reasons).
RETRY_STATUSES: Final = frozenset({429, *range(500, 600)})
CHUNK_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries of every request (seconds)."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    # The whole response (sending the request, the headers, every chunk of the body) must
    # arrive within this: the read timeout alone bounds only each wait for data, so a server
    # that sends a byte every few seconds would otherwise hold the request for ever. It is
    # checked whenever data arrives, so a response may overrun it by one read timeout at most.
    response_deadline: float = 600.0
    attempts: int = 5
    backoff: float = 5.0  # the first wait; doubled at each further attempt
    max_wait: float = 600.0  # cap on any one wait, Retry-After included
    user_agent: str = "pidsvc-harvester (OAI-PMH 2.0)"

    def longest_request(self) -> float:
        """The longest a request can take with every attempt at its time limits and every wait
        between attempts at its longest (seconds)."""
        attempt = self.connect_timeout + self.response_deadline + self.read_timeout
        return self.attempts * attempt + (self.attempts - 1) * self.max_wait


@dataclass(frozen=True)
class Identity:
    """What Identify says (OAI-PMH 2.0, section 4.2)."""

    repository_name: str = ""
    granularity: str = DAY
    earliest_datestamp: str = ""
    deleted_record: str = ""
    protocol_version: str = "2.0"


@dataclass(frozen=True)
class OaiRecord:
    """One ``<record>`` of a ListRecords page, as harvested."""

    identifier: str
    datestamp: str
    deleted: bool
    xml: bytes
    element: etree._Element = field(repr=False, compare=False)
    has_metadata: bool

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()


@dataclass(frozen=True)
class Page:
    """One ListRecords answer. ``token`` is the next page's resumption token, "" on the last."""

    records: tuple[OaiRecord, ...]
    token: str
    response_date: str
    url: str
    complete_list_size: int | None = None
    problems: tuple[str, ...] = ()  # records that could not even be read (no header, no id)


class Client(Protocol):
    def identify(self) -> Identity: ...

    def list_records(
        self, *, prefix: str, set_spec: str = "", from_: str = "", until: str = "", token: str = ""
    ) -> Page: ...


Sleep = Callable[[float], None]
OnWait = Callable[[str, float], None]


# --- reading responses --------------------------------------------------------------------------


def looks_like_html(body: bytes, content_type: str) -> bool:
    head = body[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def _html_title(body: bytes) -> str:
    found = re.search(rb"<title[^>]*>(.*?)</title>", body[:20_000], re.I | re.S)
    return " ".join(found.group(1).decode("utf-8", "replace").split())[:120] if found else ""


def parse_oai(
    body: bytes, *, content_type: str = "", url: str = "", from_file: bool = False
) -> etree._Element:
    """The root of an OAI-PMH response (from a server, or saved in a file), parsed with
    ``aggregation.xmlsafe``; typed errors for an HTML page, an empty body, malformed or unsafe
    XML, or another XML document."""
    came = "it is" if from_file else "the server sent"
    if not body.strip():
        raise NotOaiResponse(f"{came} an empty body, not an OAI-PMH response", url=url)
    if looks_like_html(body, content_type):
        title = _html_title(body)
        shown = f" titled {title!r}" if title else ""
        kind = "" if from_file else f" ({content_type or 'no content type'})"
        hint = "" if from_file else ": is the base URL right?"
        raise NotOaiResponse(
            f"{came} an HTML page{shown}{kind}, not an OAI-PMH response{hint}", url=url
        )
    try:
        root = xmlsafe.parse(body)
    except xmlsafe.XmlError as exc:
        raise MalformedPage(f"{exc} (page refused, not repaired)", url=url) from exc
    if root.tag != f"{_Q}OAI-PMH":
        raise NotOaiResponse(
            f"the XML's root element is {root.tag!r}, not OAI-PMH 2.0's <OAI-PMH>", url=url
        )
    return root


def check_errors(root: etree._Element, *, url: str = "", status: int = 200) -> bool:
    """Raise the response's OAI-PMH error, if any; ``True`` for ``noRecordsMatch`` (an empty
    list, which is a successful answer, OAI-PMH 2.0 section 3.6)."""
    errors = root.findall(f"{_Q}error")
    if not errors:
        return False
    codes = [(e.get("code") or "unknown", " ".join((e.text or "").split())) for e in errors]
    if all(code == "noRecordsMatch" for code, _ in codes):
        return True
    code, message = next((c, m) for c, m in codes if c != "noRecordsMatch")
    kind = BadResumptionToken if code == "badResumptionToken" else OaiError
    raise kind(code, message, url=url, status=status)


def read_identify(root: etree._Element) -> Identity:
    """Identify's fields through ``sickle.models.Identify``."""
    identify = Identify(_Parsed(root))
    value = lambda name: (getattr(identify, name, "") or "").strip()  # noqa: E731
    return Identity(
        repository_name=value("repositoryName"),
        granularity=SECONDS if value("granularity") == SECONDS else DAY,
        earliest_datestamp=value("earliestDatestamp"),
        deleted_record=value("deletedRecord"),
        protocol_version=value("protocolVersion") or "2.0",
    )


class _Parsed:
    """The one thing ``sickle.models.Identify`` reads from a response: ``.xml``."""

    def __init__(self, root: etree._Element) -> None:
        self.xml = root


def parse_page(root: etree._Element, *, url: str = "", empty: bool = False) -> Page:
    """A ListRecords answer (OAI-PMH 2.0, section 4.5) as a ``Page``; ``empty`` for
    ``noRecordsMatch``."""
    response_date = (root.findtext(f"{_Q}responseDate") or "").strip()
    if empty:
        return Page(records=(), token="", response_date=response_date, url=url)
    listing = root.find(f"{_Q}ListRecords")
    if listing is None:
        raise NotOaiResponse("an OAI-PMH response without <ListRecords> or <error>", url=url)
    records, problems = [], []
    for element in listing.iterfind(f"{_Q}record"):
        record = read_record(element)
        if isinstance(record, str):
            problems.append(record)
        else:
            records.append(record)
    token_el = listing.find(f"{_Q}resumptionToken")
    token = (token_el.text or "").strip() if token_el is not None else ""
    size = token_el.get("completeListSize") if token_el is not None else None
    return Page(
        records=tuple(records),
        token=token,
        response_date=response_date,
        url=url,
        complete_list_size=int(size) if size and size.isdigit() else None,
        problems=tuple(problems),
    )


def read_record(element: etree._Element) -> OaiRecord | str:
    """One record, or why it cannot be read at all (then it has nothing to key it by)."""
    header = metadata = None
    for child in element:  # the first of each, as ``find`` gives them
        tag = child.tag
        if tag == _HEADER:
            if header is None:
                header = child
        elif tag == _METADATA and metadata is None:
            metadata = child
    if header is None:
        return "a <record> without <header> was skipped"
    identifier, datestamp = _read_header(header)
    if not identifier:
        return "a <record> whose header has no <identifier> was skipped"
    return OaiRecord(
        identifier=identifier,
        datestamp=datestamp,
        deleted=header.get("status") == "deleted",
        xml=etree.tostring(element),
        element=element,
        has_metadata=metadata is not None,
    )


def _read_header(header: etree._Element) -> tuple[str, str]:
    """The stripped texts of a header's first ``<identifier>`` and ``<datestamp>`` (what
    ``sickle.models.Header`` reads, but in one pass over the header's children)."""
    identifier = datestamp = None
    for child in header:
        tag = child.tag
        if tag == _IDENTIFIER:
            if identifier is None:
                identifier = child.text or ""
        elif tag == _DATESTAMP and datestamp is None:
            datestamp = child.text or ""
    return (identifier or "").strip(), (datestamp or "").strip()


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP-date (RFC 9110, section 10.2.3)."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def oai_datestamp(moment: datetime, granularity: str) -> str:
    """``moment`` as an OAI-PMH ``from``/``until`` at the repository's granularity (3.3.2)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


def parse_response_date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- over HTTP --------------------------------------------------------------------------------


class SafeResponse(OAIResponse):
    """sickle's response with ``.xml`` parsed once, by ``aggregation.xmlsafe``, and checked."""

    @cached_property
    def xml(self) -> etree._Element:  # type: ignore[override]
        response = self.http_response
        try:
            return parse_oai(
                response.content,
                content_type=response.headers.get("Content-Type", ""),
                url=response.url,
            )
        except (NotOaiResponse, MalformedPage) as exc:
            if response.status_code != 200:
                raise HttpError(
                    f"HTTP {response.status_code} {response.reason}: {exc.message}",
                    url=response.url,
                ) from exc
            raise

    @cached_property
    def no_records(self) -> bool:
        """``True`` for ``noRecordsMatch``; raises any other OAI-PMH error, whatever the HTTP
        status it came with (Zenodo sends them with 422)."""
        status = self.http_response.status_code
        url = self.http_response.url
        empty = check_errors(self.xml, url=url, status=status)
        if status != 200 and not empty:
            raise HttpError(f"HTTP {status} with an OAI-PMH answer reporting no error", url=url)
        return empty


class HttpClient(Sickle):
    """An OAI-PMH client for one base URL: timeouts on every request, retries with backoff on
    connection errors, 429 and 5xx, ``Retry-After`` honoured (seconds or HTTP-date, capped)."""

    def __init__(
        self,
        endpoint: str,
        *,
        policy: HttpPolicy | None = None,
        sleep: Sleep = time.sleep,
        on_wait: OnWait | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.policy = policy or HttpPolicy()
        super().__init__(endpoint, timeout=(self.policy.connect_timeout, self.policy.read_timeout))
        self.sleep = sleep
        self.on_wait = on_wait
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.policy.user_agent

    def harvest(self, **params: str) -> SafeResponse:
        """One OAI-PMH request, retried as the policy says; the answer is read by the caller."""
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            try:
                response = self._request(params)
            except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as exc:
                problem, wait, response = f"{type(exc).__name__}: {exc}", None, None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return SafeResponse(response, params)
                problem = f"HTTP {response.status_code} {response.reason}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt == policy.attempts:
                return self._give_up(problem, response, params)
            delay = min(wait if wait is not None else policy.backoff * 2 ** (attempt - 1),
                        policy.max_wait)  # fmt: skip
            if self.on_wait:
                self.on_wait(f"{problem}; attempt {attempt} of {policy.attempts}", delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, params: dict[str, str]) -> requests.Response:
        """Send the request and read the body, within the size limit and a deadline: a server
        that streams without end, or trickles a byte at a time, must not hold the run."""
        deadline = time.monotonic() + self.policy.response_deadline
        if self.http_method == "GET":
            response = self.session.get(self.endpoint, params=params, stream=True,
                                        **self.request_args)  # fmt: skip
        else:
            response = self.session.post(self.endpoint, data=params, stream=True,
                                         **self.request_args)  # fmt: skip
        with response:
            response._content = _read_body(response, deadline, self.policy.response_deadline)
        return response

    def _give_up(
        self, problem: str, response: requests.Response | None, params: dict[str, str]
    ) -> SafeResponse:
        """After the last attempt: a deliberate OAI-PMH error in the last answer is the answer
        (``badArgument`` sent with 500, ``noRecordsMatch`` with 503); anything else is
        transient."""
        if response is not None:
            try:
                root = parse_oai(response.content, url=response.url)
            except (NotOaiResponse, MalformedPage):
                root = None
            status = response.status_code
            if root is not None and check_errors(root, url=response.url, status=status):
                return SafeResponse(response, params)
        url = response.url if response is not None else self.endpoint
        raise TransientHarvestError(f"{problem} after {self.policy.attempts} attempts", url=url)

    def identify(self) -> Identity:
        response = self.harvest(verb="Identify")
        check_errors(response.xml, url=response.http_response.url)
        if response.xml.find(f"{_Q}Identify") is None:
            raise NotOaiResponse("an Identify answer without <Identify>", url=self.endpoint)
        return read_identify(response.xml)

    def list_records(
        self, *, prefix: str, set_spec: str = "", from_: str = "", until: str = "", token: str = ""
    ) -> Page:
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": prefix}
            params.update({k: v for k, v in (("set", set_spec), ("from", from_),
                                             ("until", until)) if v})  # fmt: skip
        response = self.harvest(**params)
        return parse_page(response.xml, url=response.http_response.url, empty=response.no_records)


def _read_body(response: requests.Response, deadline: float, allowed: float) -> bytes:
    """The body, read as it arrives (``read1``: whatever the socket has, not a full chunk, so
    the deadline is checked however slowly the data comes), decoded, within the size limit."""
    chunks, size = [], 0
    for chunk in _arriving(response):
        size += len(chunk)
        if size > xmlsafe.MAX_BYTES:
            raise MalformedPage(
                f"the response is larger than {xmlsafe.MAX_BYTES:,} bytes: refused",
                url=response.url,
            )
        if time.monotonic() > deadline:
            raise requests.Timeout(
                f"the response took longer than {allowed:.0f} s "
                f"(PIDSVC_HARVEST_RESPONSE_DEADLINE); {size:,} bytes had arrived"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _arriving(response: requests.Response) -> Iterator[bytes]:
    """The body's data as each read returns it, urllib3's errors raised as requests' (as
    ``iter_content`` does; it reads whole chunks, waiting for each to fill)."""
    raw = response.raw
    try:
        while chunk := raw.read1(CHUNK_BYTES, decode_content=True):
            yield chunk
    except ReadTimeoutError as exc:
        raise requests.ReadTimeout(exc) from exc
    except (ProtocolError, DecodeError) as exc:
        raise ChunkedEncodingError(exc) from exc
    except (SSLError, urllib3.exceptions.HTTPError) as exc:
        raise requests.ConnectionError(exc) from exc


# --- the loop guard -----------------------------------------------------------------------------


class TokenGuard:
    """Stops a server that sends a resumption token it sent before, or endless empty pages."""

    def __init__(self, *, max_empty_pages: int = 50, seen: tuple[str, ...] = ()) -> None:
        self.seen: set[str] = set(seen)
        self.max_empty_pages = max_empty_pages
        self.empty_pages = 0

    def check(self, page: Page, *, page_number: int) -> None:
        if not page.token:
            return
        if page.token in self.seen:
            raise ResumptionLoop(
                f"page {page_number} gave resumption token {page.token!r} again: the server "
                "is looping; stopped",
                url=page.url,
            )
        self.seen.add(page.token)
        self.empty_pages = self.empty_pages + 1 if not page.records else 0
        if self.empty_pages >= self.max_empty_pages:
            raise ResumptionLoop(
                f"{self.empty_pages} pages in a row without records, each with a new token: "
                "stopped",
                url=page.url,
            )
