"""Persistent identifiers: recognise, validate and normalise them to one comparable form.

Pure functions, shared by the format mappers and by dedup (exact PID blocking compares
``Pid`` values, so two spellings of one identifier must normalise to the same ``Pid``):

* ``normalize_pid(kind, value)``: the caller says what the value is (a typed field such as
  DataCite's ``identifierType``); returns ``None`` when the value is not a valid identifier of
  that kind (bad syntax or check digit).
* ``detect_pid(value)``: free text such as ``dc:identifier``; recognises labels (``doi:``,
  ``hdl:``, ``PMID:``, ``arXiv:``, ``ISBN``…), resolver URLs and distinctive bare forms.

Normal forms (the ``value`` of a ``Pid``):

===========  =====================================================================================
``doi``      lower case, no resolver or ``doi:`` prefix, percent-escapes from URLs decoded, trailing
             ``.,;/`` and an unmatched ``)`` dropped (sentence punctuation, not DOI). DOIs are
             case-insensitive (DOI Handbook, "Case sensitivity"); a handle under ``10.`` is a DOI.
``handle``   ``prefix/suffix`` as given, without ``hdl:`` or the hdl.handle.net proxy.
``urn``      ``urn:`` and the namespace identifier in lower case (RFC 8141 §3.1), the rest as
             given; taken out of resolver URLs (``…/resolve?urn=urn:nbn:…``).
``ark``      the modern form ``ark:NAAN/Name`` of ``arks.domain.ark`` (draft-kunze-ark).
``arxiv``    the identifier without version (``2101.00001``, ``hep-th/9901001``; an old-style
             subject class such as ``math.GT`` is dropped); the version is kept in ``version``.
``pmid``     digits, no leading zeros.
``pmcid``    ``PMC`` followed by digits.
``isbn``     13 digits, ISBN-10 converted; both check digits verified (ISO 2108).
``issn``     ``NNNN-NNNC`` with upper-case ``X``; check digit verified (ISO 3297).
``url``      an absolute http(s) URL, scheme and host lower-cased.
===========  =====================================================================================

ORCID, ISNI and ROR identify people and organisations, not products: see ``nameids``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from arks.domain.ark import InvalidArk
from arks.domain.ark import normalize as normalize_ark

__all__ = [
    "PID_KINDS",
    "Pid",
    "detect_pid",
    "is_known_kind",
    "isbn_check_digit",
    "issn_check_digit",
    "normalize_pid",
]

PID_KINDS = ("doi", "handle", "urn", "ark", "arxiv", "pmid", "pmcid", "isbn", "issn", "url")
MAX_PID_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class Pid:
    """One normalised identifier. ``version`` is only used by arXiv (``2`` for ``…v2``)."""

    kind: str
    value: str
    version: int | None = None

    def __str__(self) -> str:
        """``doi:10.1/x``, ``arxiv:2101.00001v2``; URNs, ARKs and URLs print as themselves."""
        text = f"{self.value}v{self.version}" if self.version is not None else self.value
        return text if self.kind in ("urn", "ark", "url") else f"{self.kind}:{text}"

    @property
    def url(self) -> str | None:
        """A resolvable URL for the identifier, or ``None`` (ISBN, ISSN, URNs but URN:NBN)."""
        if self.kind == "urn" and not self.value.startswith("urn:nbn:"):
            return None  # only URN:NBN has a common resolver
        template = _RESOLVERS.get(self.kind)
        return template.format(self.value) if template else None


_RESOLVERS = {
    "doi": "https://doi.org/{}",
    "handle": "https://hdl.handle.net/{}",
    "urn": "https://nbn-resolving.org/{}",
    "ark": "https://n2t.net/{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "url": "{}",
}

# --- check digits ---------------------------------------------------------------------------------


def isbn_check_digit(base: str) -> str:
    """The check digit of an ISBN-13 (12 digits in, weights 1,3,…) or ISBN-10 (9 digits in)."""
    if len(base) == 12:
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(base))
        return str((10 - total % 10) % 10)
    total = sum(int(c) * (10 - i) for i, c in enumerate(base))
    result = (11 - total % 11) % 11
    return "X" if result == 10 else str(result)


def issn_check_digit(base: str) -> str:
    """ISO 3297: weights 8..2 over seven digits, modulus 11, ``X`` for ten."""
    total = sum(int(c) * (8 - i) for i, c in enumerate(base))
    result = (11 - total % 11) % 11
    return "X" if result == 10 else str(result)


# --- product identifiers --------------------------------------------------------------------------

_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
_DOI_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:dx\.|www\.)?doi\.org/|doi:\s*|info:doi/|urn:doi:)", re.IGNORECASE
)
_TRAILING = ".,;/"


def _doi(value: str) -> Pid | None:
    text = _DOI_PREFIX.sub("", value.strip())
    if "%" in text:
        text = unquote(text)
    text = _trim_trailing(text).lower()
    return Pid("doi", text) if _DOI.match(text) else None


def _trim_trailing(text: str) -> str:
    """Drop punctuation that ends a sentence rather than the identifier, and an unmatched ``)``."""
    text = text.rstrip(_TRAILING)
    while text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1].rstrip(_TRAILING)
    return text


_HANDLE_PREFIX = re.compile(
    r"^(?:(?:https?://)?hdl\.handle\.net/|hdl:\s*|handle:\s*|info:hdl/)", re.IGNORECASE
)
_HANDLE = re.compile(r"^[^/\s]+/[^\s]+$")


def _handle(value: str) -> Pid | None:
    text = _HANDLE_PREFIX.sub("", value.strip()).split("?", 1)[0]
    if "%" in text:
        text = unquote(text)
    text = _trim_trailing(text)
    if not _HANDLE.match(text):
        return None
    if text.startswith("10."):  # the DOI system is a handle naming authority
        return _doi(text)
    return Pid("handle", text)


# RFC 8141 §2: a namespace identifier is 2 to 32 letters, digits and hyphens.
_URN = re.compile(r"^urn:([a-z0-9][a-z0-9-]{1,31}):(\S+)$", re.IGNORECASE)
_URN_IN_TEXT = re.compile(r"urn:[a-z0-9][a-z0-9-]{1,31}:[^\s&#?]+", re.IGNORECASE)


def _urn(value: str) -> Pid | None:
    text = value.strip()
    if not text.lower().startswith("urn:"):
        found = _URN_IN_TEXT.search(unquote(text) if "%" in text else text)
        if not found or not text.lower().startswith(("http://", "https://")):
            return None
        text = found.group(0)
    match = _URN.match(_trim_trailing(text))
    if not match:
        return None
    nid = match.group(1).lower()
    if nid == "doi":
        return _doi(match.group(2))
    return Pid("urn", f"urn:{nid}:{match.group(2)}")


def _ark(value: str) -> Pid | None:
    try:
        return Pid("ark", normalize_ark(value.strip()))
    except InvalidArk:
        return None


_ARXIV_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.IGNORECASE
)
_ARXIV_NEW = re.compile(r"^(\d{2})(\d{2})\.(\d{4,5})(?:v(\d+))?$")
_ARXIV_OLD = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z-]+)?/(\d{2})(\d{2})(\d{3})(?:v(\d+))?$")


def _arxiv(value: str) -> Pid | None:
    text = _ARXIV_PREFIX.sub("", value.strip())
    text = text.removesuffix(".pdf").rstrip("/")
    match = _ARXIV_NEW.match(text)
    if match:
        return _arxiv_new(*match.groups())
    match = _ARXIV_OLD.match(text)
    if match:
        archive, yy, mm, number, version = match.groups()
        # Old-style identifiers ran from 1991-08 to 2007-03 (arXiv "Understanding the arXiv
        # identifier").
        if not (1 <= int(mm) <= 12 and (int(yy) >= 91 or int(yy) <= 7)):
            return None
        return Pid("arxiv", f"{archive}/{yy}{mm}{number}", _version(version))
    return None


def _arxiv_new(yy: str, mm: str, number: str, version: str | None) -> Pid | None:
    # New-style identifiers start 2007-04; five-digit numbers from 2015-01 (same source).
    yymm = int(yy + mm)
    if not 1 <= int(mm) <= 12 or yymm < 704 or len(number) != (4 if yymm < 1501 else 5):
        return None
    return Pid("arxiv", f"{yy}{mm}.{number}", _version(version))


def _version(text: str | None) -> int | None:
    return int(text) if text else None


def _without_query(value: str) -> str:
    return value.strip().split("?", 1)[0].split("#", 1)[0]


_PMID_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)"
    r"|pmid\s*:?\s*|info:pmid/|pubmed\s*:?\s*)",
    re.IGNORECASE,
)


def _pmid(value: str) -> Pid | None:
    text = _PMID_PREFIX.sub("", _without_query(value)).rstrip("/")
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) == 0:
        return None
    return Pid("pmid", str(int(text)))


_PMCID_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:ncbi\.nlm\.nih\.gov/pmc/articles/|pmc\.ncbi\.nlm\.nih\.gov/"
    r"articles/|europepmc\.org/(?:articles|article/PMC)/)|pmcid\s*:?\s*)",
    re.IGNORECASE,
)
_PMCID = re.compile(r"^(?:PMC)?(\d{1,9})$", re.IGNORECASE)


def _pmcid(value: str) -> Pid | None:
    text = _PMCID_PREFIX.sub("", _without_query(value)).rstrip("/")
    match = _PMCID.match(text)
    if not match or int(match.group(1)) == 0:
        return None
    return Pid("pmcid", f"PMC{int(match.group(1))}")


# Spaces, hyphens and the hyphen-like characters publishers type instead.
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u00a0")
_ISBN_PREFIX = re.compile(r"^isbn(?:-1[03])?\s*:?\s*", re.IGNORECASE)
_ISBN_CHARS = re.compile(r"^[0-9][0-9 \-]*[0-9Xx]$")


def _isbn(value: str) -> Pid | None:
    text = _ISBN_PREFIX.sub("", value.strip())
    if not _ISBN_CHARS.match(text):
        return None
    digits = text.translate(_SEPARATORS).upper()
    if len(digits) == 10 and digits[:9].isdigit():
        if isbn_check_digit(digits[:9]) != digits[9]:
            return None
        base = "978" + digits[:9]
        return Pid("isbn", base + isbn_check_digit(base))
    if len(digits) == 13 and digits.isdigit() and digits.startswith(("978", "979")):
        return Pid("isbn", digits) if isbn_check_digit(digits[:12]) == digits[12] else None
    return None


_ISSN_PREFIX = re.compile(r"^(?:[ep]-?|l-?)?issn\s*:?\s*", re.IGNORECASE)
_ISSN = re.compile(r"^(\d{4})[\s\-\u2010\u2013]?(\d{3}[\dXx])$")


def _issn(value: str) -> Pid | None:
    match = _ISSN.match(_ISSN_PREFIX.sub("", value.strip()))
    if not match:
        return None
    digits = (match.group(1) + match.group(2)).upper()
    if issn_check_digit(digits[:7]) != digits[7]:
        return None
    return Pid("issn", f"{digits[:4]}-{digits[4:]}")


_HTTP = re.compile(r"^https?://", re.IGNORECASE)
_SPACE = re.compile(r"\s")


def _split_url(value: str) -> SplitResult | None:
    text = value.strip()
    if not _HTTP.match(text) or _SPACE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal or port
        return None
    return parts if host else None


def _url(value: str) -> Pid | None:
    parts = _split_url(value)
    return Pid("url", _url_text(parts)) if parts else None


def _url_text(parts: SplitResult) -> str:
    if parts.scheme.islower() and not any(c.isupper() for c in parts.netloc):
        return parts.geturl()  # already normal: skip rebuilding (most URLs)
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{host.lower()}"
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc))


_NORMALIZERS = {
    "doi": _doi,
    "handle": _handle,
    "urn": _urn,
    "ark": _ark,
    "arxiv": _arxiv,
    "pmid": _pmid,
    "pmcid": _pmcid,
    "isbn": _isbn,
    "issn": _issn,
    "url": _url,
}
# Type names used by DataCite (relatedIdentifierType), OpenAIRE v3 (altIdentifier schemes) and
# repositories in the wild, mapped to our kinds.
_KIND_ALIASES = {
    "hdl": "handle",
    "urnnbn": "urn",
    "nbn": "urn",
    "pubmed": "pmid",
    "pmc": "pmcid",
    "eissn": "issn",
    "pissn": "issn",
    "lissn": "issn",
    "ean13": "isbn",
    "lsid": "urn",
    "purl": "url",
    "uri": "url",
    "w3id": "url",
}


@functools.lru_cache(maxsize=256)
def _kind_key(kind: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", kind.lower())
    return _KIND_ALIASES.get(key, key)


def is_known_kind(kind: str) -> bool:
    """Whether ``normalize_pid`` understands ``kind`` (``DOI``, ``EISSN``, ``PURL``…)."""
    return _kind_key(kind) in _NORMALIZERS


def normalize_pid(kind: str, value: str) -> Pid | None:
    """Normalise ``value`` declared to be of ``kind`` (case-insensitive, aliases accepted).

    Returns ``None`` for an unknown kind or a value that is not a valid identifier of that kind;
    the caller may then try ``detect_pid`` (records do mislabel: a PMCID typed as PMID).
    """
    if not value or len(value) > MAX_PID_LENGTH:
        return None
    normalizer = _NORMALIZERS.get(_kind_key(kind))
    return normalizer(value) if normalizer else None


# --- detection in free text -----------------------------------------------------------------------

_HANDLE_PROXIES = ("https://hdl.handle.net/", "http://hdl.handle.net/")
_DOI_PROXIES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/")
_LABEL = re.compile(
    r"^(doi|hdl|handle|arxiv|pmid|pubmed|pmcid|isbn(?:-1[03])?|[ep]-?issn|issn)\s*[:=]?\s*(\S.*)$",
    re.IGNORECASE,
)
_LABEL_KIND = {"hdl": "handle", "pubmed": "pmid", "e-issn": "issn", "p-issn": "issn"}
_OLD_ARXIV_BARE = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?$")
_ISBN13_BARE = re.compile(r"^97[89][0-9\- ]{10,14}$")
_ISSN_BARE = re.compile(r"^\d{4}-\d{3}[\dXx]$")


def detect_pid(value: str) -> Pid | None:
    """Recognise an identifier in free text (``dc:identifier``, ``dc:relation``…), or ``None``.

    Labelled values (``doi:10.1/x``, ``PMID: 123``, ``ISBN 978-…``), resolver URLs (doi.org,
    hdl.handle.net, arxiv.org, PubMed, PMC, Europe PMC, URN resolvers, any URL holding an ARK)
    and bare forms that cannot be mistaken (``10.``-DOIs, ``urn:``, ``ark:``, ``PMC123``,
    ``hep-th/9901001``, ISBN-13 and hyphenated ISSN with valid check digits). Any other http(s)
    URL is a ``url``. Bare numbers are never guessed to be PMIDs or ISBN-10s.
    """
    text = value.strip()
    if not text or len(text) > MAX_PID_LENGTH:
        return None
    lower = text[:24].lower()
    if lower.startswith(("http://", "https://")):
        # The resolvers most records use, without a full URL parse (cheap on millions).
        if lower.startswith(_HANDLE_PROXIES) and not _SPACE.search(text):
            return _handle(text)
        if lower.startswith(_DOI_PROXIES) and not _SPACE.search(text):
            return _doi(text)
        return _detect_url(text)
    if lower.startswith("urn:"):
        return _urn(text)
    if lower.startswith(("ark:", "info:ark/")):
        return _ark(text)
    if lower.startswith("info:"):
        return _detect_info_uri(text)
    if text.startswith("10."):
        return _doi(text.split()[0])
    labelled = _LABEL.match(text)
    if labelled:
        return _detect_labelled(labelled.group(1).lower(), labelled.group(2))
    return _detect_bare(text)


def _detect_labelled(label: str, rest: str) -> Pid | None:
    if rest.lower().startswith(("http://", "https://")):
        return _detect_url(rest.split()[0])
    kind = _LABEL_KIND.get(label, label.split("-")[0] if label.startswith("isbn") else label)
    if kind in ("doi", "handle", "arxiv"):
        rest = rest.split()[0]
    if kind.endswith("issn"):
        kind = "issn"
    return _NORMALIZERS[kind](rest)


def _detect_info_uri(text: str) -> Pid | None:
    # The "info" URI scheme (RFC 4452) registers doi, hdl, pmid and others as namespaces.
    namespace = text[5:].split("/", 1)[0].lower()
    normalizer = {"doi": _doi, "hdl": _handle, "pmid": _pmid}.get(namespace)
    return normalizer(text) if normalizer else None


def _detect_bare(text: str) -> Pid | None:
    if text[:3].upper() == "PMC":
        return _pmcid(text)
    if _OLD_ARXIV_BARE.match(text):
        return _arxiv(text)
    if _ISBN13_BARE.match(text):
        return _isbn(text)
    if _ISSN_BARE.match(text) and not _looks_like_year_range(text):
        return _issn(text)
    return None


def _looks_like_year_range(text: str) -> bool:
    """``1984-1985`` is a range of years one time in eleven has a valid ISSN check digit."""
    first, second = text[:4], text[5:9]
    if not second.isdigit():
        return False
    return 1500 <= int(first) <= 2100 and int(first) <= int(second) <= 2100


_URL_DETECTORS = (
    (("doi.org", "dx.doi.org", "www.doi.org"), _doi),
    (("hdl.handle.net",), _handle),
    (("arxiv.org", "www.arxiv.org", "export.arxiv.org"), _arxiv),
    (("pubmed.ncbi.nlm.nih.gov",), _pmid),
    (("pmc.ncbi.nlm.nih.gov", "europepmc.org", "www.europepmc.org"), _pmcid),
)


def _detect_url(text: str) -> Pid | None:
    parts = _split_url(text)
    if parts is None:
        return None
    url = Pid("url", _url_text(parts))
    host = (parts.hostname or "").lower()
    for hosts, detector in _URL_DETECTORS:
        if host in hosts:
            return detector(url.value) or url
    if host in ("ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov"):
        return _pmcid(url.value) or _pmid(url.value) or url
    lowered = url.value.lower()
    if "urn:" in lowered or "urn%3a" in lowered:
        return _urn(url.value) or url
    if "/ark:" in lowered:
        return _ark(url.value) or url
    return url
