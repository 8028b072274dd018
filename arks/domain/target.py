"""The URL an ARK redirects to: checked and brought to one form before it is stored.

A target is an absolute ``http`` or ``https`` URI (RFC 3986) without credentials. The syntax and
each component (scheme, host, port, path, query, fragment) are validated by ``rfc3986``; a host
with non-ASCII characters (or an ``xn--`` label) goes through ``idna`` (IDNA 2008 with the UTS 46
mapping, non-transitional, as browsers do) and is stored as punycode, the form DNS and a
``Location`` header carry; other non-ASCII characters are stored percent-encoded as UTF-8
(RFC 3987, section 3.1). What is refused, and why:

- a scheme other than http(s): ``javascript:`` or ``data:`` would make the resolver an attack
  vector; credentials (``user:pw@``) would be shown to everyone who resolves the ARK;
- whitespace, control characters and Unicode format characters (category Cf: the bidirectional
  controls U+202A-U+202E and U+2066-U+2069, zero-width U+200B-U+200D, U+2060, U+FEFF, the soft
  hyphen…) anywhere: they are invisible, so a target could read differently from where it leads
  (``https://exa\u200bmple.org`` is ``example.org`` to IDNA). Written as percent-escapes they
  are visible and kept, so a path may still name a word with a zero-width non-joiner;
- a ``%`` not followed by two hexadecimal digits (RFC 3986, section 2.1), which parsers repair
  differently (``rfc3986`` itself would re-encode it as ``%25``);
- a port that is not a number from 0 to 65535, a host that is not a valid name or IP literal,
  percent-escapes in the host.

Pure: no Django; ``arks.services.validate_target`` maps :class:`BadTarget` to the API's error.
"""

from __future__ import annotations

import re
import unicodedata

import idna
import rfc3986
from rfc3986 import exceptions as rfc3986_errors
from rfc3986 import validators

SCHEMES = ("http", "https")
# Whitespace (Unicode's too) and C0/DEL controls: one regex scan; bulk mints check 10,000.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_PORT = re.compile(r"[0-9]*")
_VALIDATOR = (
    validators.Validator()
    .require_presence_of("scheme", "host")
    .check_validity_of("host", "port", "path", "query", "fragment")
)
_WHAT_IS_WRONG = {
    "host": "target's host is not a valid host name or IP address",
    "port": "target's port must be a number from 0 to 65535",
    "path": "target's path has a character that is not allowed in a URL",
    "query": "target's query has a character that is not allowed in a URL",
    "fragment": "target's fragment has a character that is not allowed in a URL",
}


class BadTarget(ValueError):
    """What is wrong with a target, in a sentence for the person who sent it."""


def normalise_target(url: str) -> str:
    """``url`` as stored: validated, its host in punycode, other non-ASCII percent-encoded.
    Raises :class:`BadTarget` saying what is wrong. An ASCII target that passes is unchanged
    but for the scheme's case."""
    _check_characters(url)
    iri = rfc3986.iri_reference(url)
    scheme = (iri.scheme or "").lower()
    if scheme not in SCHEMES:
        raise BadTarget("target must be an absolute http or https URL")
    if not iri.authority:
        raise BadTarget("target has no host (an absolute URL starts with http:// or https://)")
    if iri.host is None:  # the authority did not parse: which part is wrong?
        raise BadTarget(_authority_problem(iri.authority))
    if iri.userinfo is not None:
        raise BadTarget("target must not carry credentials (user@host)")
    if "%" in iri.host:
        raise BadTarget("target's host must not contain percent-escapes")
    host = _ascii_host(iri.host)
    authority = host if iri.port is None else f"{host}:{iri.port}"
    # Parsing as an IRI percent-encoded the non-ASCII characters of the other components.
    uri = rfc3986.URIReference(scheme, authority, iri.path, iri.query, iri.fragment)
    try:
        _VALIDATOR.validate(uri)
    except rfc3986_errors.InvalidComponentsError as exc:
        raise BadTarget(_WHAT_IS_WRONG.get(exc.components[0], "target is not a URL")) from None
    except rfc3986_errors.ValidationError:
        raise BadTarget(_authority_problem(authority)) from None
    return str(uri.unsplit())


def _check_characters(url: str) -> None:
    if _SPACE_OR_CONTROL.search(url):
        raise BadTarget("target contains whitespace or control characters")
    invisible = next((c for c in url if unicodedata.category(c) == "Cf"), None)
    if invisible is not None:
        name = unicodedata.name(invisible, "a format character")
        raise BadTarget(
            f"target contains an invisible formatting character, U+{ord(invisible):04X} "
            f"({name}); percent-encode it if it is meant"
        )
    if _BAD_ESCAPE.search(url):
        raise BadTarget("target has a malformed percent-escape (% and two hexadecimal digits)")


def _authority_problem(authority: str) -> str:
    host_and_port = authority.rpartition("@")[2]
    if not host_and_port.endswith("]") and ":" in host_and_port:
        port = host_and_port.rpartition(":")[2]
        if not _PORT.fullmatch(port) or (port and int(port) > 65535):
            return _WHAT_IS_WRONG["port"]
    return _WHAT_IS_WRONG["host"]


def _ascii_host(host: str) -> str:
    """An internationalised host name as punycode (IDNA 2008, UTS 46); others as they are."""
    if host.startswith("["):
        return host  # an IP literal: rfc3986 validates it
    labels = host.lower().split(".")
    if not _NOT_ASCII.search(host) and not any(label.startswith("xn--") for label in labels):
        return host
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        problem = f"target's host is not a valid internationalised domain name: {exc}"
        raise BadTarget(problem) from None
