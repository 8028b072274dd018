"""Parse the public NAAN registry and expand its redirect targets.

The registry of Name Assigning Authority Numbers (NAANs) is published in two forms, and resolvers
copy it periodically:

* ``naan_registry.txt``, plain-text ANVL.  The file opens with an ``erc:`` record describing the
  registry itself, followed by a ``#``-commented preamble, then one ``naa:`` record per NAAN.
  Records are separated by blank lines; each element is ``label: value``; a line starting with
  whitespace continues the previous value; lines starting with ``!`` are private (absent from the
  public file, ignored here); ``(=)`` separates variants of a name (``native (=) English (=)
  ACRONYM``); ``how`` is ``orgtype | policy | tenure | policy URL``; dates are ``YYYY.MM.DD``.
  A ``where`` may start with a redirect status (``303 http://...``), and a ``what`` of the form
  ``ark:/NAAN/shoulder`` describes a shoulder rather than a whole NAAN.
* ``naan_records.json``, a JSON list of records (``what``, ``where``, ``target: {url,
  http_code}``, ``when``, ``who``, ``na_policy``, ``test_identifier``, ``rtype``), often wrapped
  in an object such as ``{"metadata": {...}, "data": [...]}``.

Both parse to the same :class:`NaanRecord`.  Records of a type this module does not know (the
``erc:`` header, ``rtype`` values other than ``PublicNAAN``/``PublicNAANShoulder``) are skipped;
anything malformed raises :class:`RegistryFormatError` naming the record and line.

:func:`expand_target` turns a record's target template and an ARK into the URL a resolver
redirects to, and refuses to produce anything but an absolute ``http``/``https`` URL.

This module is pure Python (no Django) so it can be used by management commands, tests and
offline tools alike.
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DEFAULT_HTTP_CODE",
    "MAX_REGISTRY_BYTES",
    "NaanRecord",
    "RegistryFormatError",
    "expand_target",
    "parse_anvl",
    "parse_json",
    "parse_registry",
]

#: Largest registry accepted, in bytes (UTF-8).  The real registry is well under 2 MiB.
MAX_REGISTRY_BYTES: Final = 64 * 1024 * 1024

#: Redirect status used when a record does not name one.
DEFAULT_HTTP_CODE: Final = 302

#: Redirect statuses a record may ask for.
_ALLOWED_HTTP_CODES: Final = frozenset({301, 302, 303, 307, 308})

#: NAANs are "betanumeric": digits plus the consonants of the Noid alphabet (no vowels, no 'l').
_NAAN_RE: Final = re.compile(r"[0-9bcdfghjkmnpqrstvwxz]{1,16}")

#: A shoulder is one path segment of URL-safe characters.
_SHOULDER_RE: Final = re.compile(r"[A-Za-z0-9._~=+@-]{1,64}")

#: ``ark:/NAAN/rest``, ``ark:NAAN/rest`` or bare ``NAAN/rest`` (scheme is case-insensitive).
_ARK_PREFIX_RE: Final = re.compile(r"ark:/?", re.IGNORECASE)

#: A leading redirect status on a ``where`` (or ``target``) value: ``303 http://...``.
_CODE_PREFIX_RE: Final = re.compile(r"(?P<code>[1-9][0-9]{2})\s+(?P<rest>\S.*)", re.DOTALL)

#: A host name without a scheme, e.g. ``lib.example.edu`` or ``example.org/path``.
_NAKED_HOST_RE: Final = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
    r"(?::[0-9]{1,5})?(?:/\S*)?"
)

#: TEMPER dates: ``YYYY.MM.DD`` (``-`` and ``/`` also accepted) or the partial ``YYYY[.MM]``.
_FULL_DATE_RE: Final = re.compile(r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})")
_PARTIAL_DATE_RE: Final = re.compile(r"\d{4}(?:[./-]\d{1,2})?")

_LINE_BREAK_RE: Final = re.compile(r"\r\n|\r|\n")

#: ASCII control characters other than tab, line feed and carriage return.
_BAD_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Placeholders of a target template (single pass, so substituted text is never re-expanded).
_PLACEHOLDER_RE: Final = re.compile(
    r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?P<bare>arkpid|nlid|id)(?![A-Za-z0-9_])"
)

#: Characters of an ARK copied into a URL unescaped (RFC 3986 pchar plus '/', and '%' so that
#: existing escapes survive).  Everything else -- spaces, controls, '?', '#', quotes, non-ASCII --
#: is percent-encoded, so an ARK can never add a query, fragment or header line to the target.
_URL_SAFE: Final = "/:@!$&'()*+,;=-._~%"

_NAAN_RECORD_TYPES: Final = frozenset({"naa"})
_SHOULDER_RECORD_TYPES: Final = frozenset({"shoulder"})
_JSON_NAAN_RTYPE: Final = "publicnaan"
_JSON_SHOULDER_RTYPE: Final = "publicnaanshoulder"


class RegistryFormatError(ValueError):
    """The registry data is not a well-formed NAAN registry; the message says what and where."""


@dataclass(frozen=True, slots=True)
class NaanRecord:
    """One NAAN (``shoulder == ''``) or shoulder record of the public registry."""

    naan: str
    """The NAAN, as lower-case betanumeric text (leading zeros kept)."""
    shoulder: str
    """``''`` for a NAAN record; the shoulder for a shoulder record (``99166/w6`` -> ``w6``)."""
    name: str
    """The organisation's name (the English form when the registry gives several)."""
    acronym: str
    where: str
    """The NAAN holder's service base URL (any leading redirect status removed)."""
    target: str
    """Target URL template; ``''`` means: append the ARK to ``where``."""
    http_code: int
    registered: datetime.date | None
    org_type: str
    policy: str
    tenure: str
    policy_url: str
    test_identifier: str


# --------------------------------------------------------------------------------------------
# Entry points


def parse_registry(data: bytes | str) -> list[NaanRecord]:
    """Parse a registry in either format, telling them apart by the first non-space character.

    ``[`` or ``{`` means JSON, anything else ANVL.  Bytes must be UTF-8 (a BOM is allowed).
    Empty input is refused: a registry with nothing in it is far more likely a failed download
    than the truth.
    """
    text = _decode(data)
    stripped = text.lstrip()
    if not stripped:
        raise RegistryFormatError("registry data is empty")
    if stripped[0] in "[{":
        return parse_json(text)
    return parse_anvl(text)


def parse_anvl(text: str) -> list[NaanRecord]:
    """Parse the plain-text (ANVL) registry, ``naan_registry.txt``."""
    _check_size(text)
    text = text.removeprefix("\ufeff")
    records: list[NaanRecord] = []
    for number, block in enumerate(_anvl_blocks(text), start=1):
        record = _anvl_record(block, number)
        if record is not None:
            records.append(record)
    return records


def parse_json(text: str) -> list[NaanRecord]:
    """Parse the JSON registry, ``naan_records.json`` (a list, a wrapped list or one record)."""
    _check_size(text)
    text = text.removeprefix("\ufeff")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RegistryFormatError:
        raise
    except json.JSONDecodeError as exc:
        raise RegistryFormatError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise RegistryFormatError(f"invalid JSON: {exc}") from exc

    records: list[NaanRecord] = []
    for number, item in enumerate(_json_items(document), start=1):
        record = _json_record(item, number)
        if record is not None:
            records.append(record)
    return records


def expand_target(record_or_template: NaanRecord | str, *, ark: str, where: str = "") -> str:
    """Return the URL to redirect ``ark`` to, from a record or a bare target template.

    Substitutions (done in one pass; the ARK's own text is never re-expanded):

    * ``${pid}`` / ``$arkpid`` -- the whole ARK, ``ark:NAAN/name...``
    * ``${content}`` / ``$id`` -- the part after ``ark:``, ``NAAN/name...``
    * ``${value}`` / ``$nlid`` -- the name without the NAAN, ``name...``
    * ``${suffix}`` -- the name after the record's shoulder (used by some shoulder records);
      the same as ``${value}`` when no shoulder is known or the name does not start with it

    A blank template means ``where`` + ``/`` + the ARK.  Given a :class:`NaanRecord`, its
    ``target`` and ``where`` are used (a non-blank ``where`` argument overrides the record's).

    The ARK may be written ``ark:NAAN/name``, ``ark:/NAAN/name`` or ``NAAN/name``; characters
    that are not valid in a URL path (and ``?``/``#``) are percent-encoded as they are inserted.

    Raises ``ValueError`` if the ARK is not an ARK, the template has an unknown ``${...}``
    placeholder, or the result is not an absolute ``http``/``https`` URL.
    """
    if isinstance(record_or_template, NaanRecord):
        template = record_or_template.target
        base = where.strip() or record_or_template.where
        shoulder = record_or_template.shoulder
    elif isinstance(record_or_template, str):
        template = record_or_template
        base = where
        shoulder = ""
    else:
        raise TypeError(
            f"expected a NaanRecord or a template string, not {type(record_or_template).__name__}"
        )

    naan, name = _split_ark(ark)
    parts = {
        "pid": _quote(f"ark:{naan}/{name}" if name else f"ark:{naan}"),
        "content": _quote(f"{naan}/{name}" if name else naan),
        "value": _quote(name),
        "suffix": _quote(name[len(shoulder) :] if shoulder and name.startswith(shoulder) else name),
    }
    aliases = {"arkpid": "pid", "id": "content", "nlid": "value"}

    template = template.strip()
    if template:

        def substitute(match: re.Match[str]) -> str:
            braced = match.group("braced")
            if braced is not None:
                if braced not in parts:
                    raise ValueError(f"unsupported placeholder ${{{braced}}} in target template")
                return parts[braced]
            return parts[aliases[match.group("bare")]]

        url = _PLACEHOLDER_RE.sub(substitute, template)
    else:
        base = _strip_code(base.strip())[1]
        if not base:
            raise ValueError("no target template and no base URL ('where') to append the ARK to")
        url = f"{base.rstrip('/')}/{parts['pid']}"

    _check_redirect_url(url)
    return url


# --------------------------------------------------------------------------------------------
# Input handling


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        _check_size(data)
        return data
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"registry data must be bytes or str, not {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > MAX_REGISTRY_BYTES:
        raise RegistryFormatError(
            f"registry data is {len(raw)} bytes, over the {MAX_REGISTRY_BYTES}-byte limit"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryFormatError(
            f"registry data is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from exc


def _check_size(text: str) -> None:
    # Every character is at least one UTF-8 byte and at most four: only measure when unsure.
    size = len(text)
    if size * 4 > MAX_REGISTRY_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_REGISTRY_BYTES:
        raise RegistryFormatError(
            f"registry data is {size} bytes, over the {MAX_REGISTRY_BYTES}-byte limit"
        )


def _refuse_constant(name: str) -> Any:
    raise RegistryFormatError(f"invalid JSON: {name} is not allowed")


# --------------------------------------------------------------------------------------------
# ANVL


@dataclass(slots=True)
class _Element:
    label: str
    value: str
    line: int


@dataclass(slots=True)
class _Block:
    line: int
    elements: list[_Element]


def _anvl_blocks(text: str) -> Iterator[_Block]:
    """Split ANVL text into blank-line-separated blocks of public elements."""
    elements: list[_Element] = []
    start = 0  # line number where the current block began (0: no block open)
    # What a continuation line extends: an element, a private ('!') element, or nothing.
    current: _Element | None = None
    in_private = False
    # Only CR, LF and CRLF end lines (str.splitlines would also split on form feeds, U+2028...).
    for number, line in enumerate(_LINE_BREAK_RE.split(text), start=1):
        bad = _BAD_CONTROL_RE.search(line)
        if bad:
            raise RegistryFormatError(
                f"line {number}: control character U+{ord(bad.group()):04X} in ANVL text"
            )
        if not line.strip():
            if elements:
                yield _Block(start, elements)
            elements, current, in_private, start = [], None, False, 0
            continue
        if line.startswith("#"):
            continue
        if not start:
            start = number
        if line[0].isspace():
            if in_private:
                continue
            if current is None:
                raise RegistryFormatError(
                    f"line {number}: continuation line with no element before it"
                )
            piece = line.strip()
            current.value = f"{current.value} {piece}" if current.value else piece
            continue
        if line.startswith("!"):
            in_private, current = True, None
            continue
        label, colon, value = line.partition(":")
        label = label.strip()
        if not colon:
            raise RegistryFormatError(f"line {number}: expected 'label: value', got {_show(line)}")
        if not label:
            raise RegistryFormatError(f"line {number}: element with an empty label")
        current = _Element(label.lower(), value.strip(), number)
        in_private = False
        elements.append(current)
    if elements:
        yield _Block(start, elements)


def _anvl_record(block: _Block, number: int) -> NaanRecord | None:
    record_type = block.elements[0].label
    if record_type not in _NAAN_RECORD_TYPES | _SHOULDER_RECORD_TYPES:
        return None  # the 'erc:' header, or a record type this module does not know
    where_ = f"record {number} (line {block.line})"
    fields: dict[str, list[_Element]] = {}
    for element in block.elements[1:]:
        fields.setdefault(element.label, []).append(element)

    def first(label: str) -> tuple[str, str]:
        found = fields.get(label)
        if not found:
            return "", where_
        return found[0].value, f"record {number} (line {found[0].line})"

    what, what_at = first("what")
    if not what:
        raise RegistryFormatError(f"{where_}: {_show(record_type)} record has no 'what'")
    naan, shoulder = _split_what(what, what_at)
    if record_type in _SHOULDER_RECORD_TYPES and not shoulder:
        raise RegistryFormatError(
            f"{what_at}: shoulder record 'what' {_show(what)} has no shoulder"
        )

    who, _ = first("who")
    name, acronym = _split_who(who)

    when, when_at = first("when")
    registered = _parse_temper_date(when, when_at)

    where_value, where_at = first("where")
    where_code, base = _strip_code(where_value)
    target_value, target_at = first("target")
    target_code, target = _strip_code(target_value)
    http_code = _http_code(target_code or where_code, target_at if target_code else where_at)

    how, _ = first("how")
    org_type, policy, tenure, policy_url = _split_how(how)
    test_identifier, _ = first("test_identifier")

    return NaanRecord(
        naan=naan,
        shoulder=shoulder,
        name=name,
        acronym=acronym,
        where=_normalise_base(base),
        target=target,
        http_code=http_code,
        registered=registered,
        org_type=org_type,
        policy=policy,
        tenure=tenure,
        policy_url=policy_url,
        test_identifier=test_identifier,
    )


# --------------------------------------------------------------------------------------------
# JSON


def _json_items(document: object) -> list[object]:
    """Find the list of records in a JSON document (see :func:`parse_json`)."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "what" in document:
            return [document]  # a single record
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]  # e.g. {"metadata": {...}, "data": [...]}
        values = list(document.values())
        if values and all(isinstance(value, dict) and "what" in value for value in values):
            return values  # records keyed by NAAN
        raise RegistryFormatError(
            "JSON object holds no list of NAAN records (expected a list, an object with one "
            "list-valued key, an object of records, or a single record)"
        )
    raise RegistryFormatError(
        f"JSON document is a {_json_type(document)}, not a list of NAAN records"
    )


def _json_record(item: object, number: int) -> NaanRecord | None:
    at = f"record {number}"
    if not isinstance(item, dict):
        raise RegistryFormatError(f"{at}: expected a JSON object, got {_json_type(item)}")

    rtype = _json_str(item, "rtype", at).lower()
    if rtype and rtype not in {_JSON_NAAN_RTYPE, _JSON_SHOULDER_RTYPE}:
        return None  # a record type this module does not know

    what = _json_str(item, "what", at)
    if not what:
        raise RegistryFormatError(f"{at}: missing 'what' (the NAAN)")
    at = f"record {number} ({_show(what)})"
    naan, shoulder = _split_what(what, at)
    if rtype == _JSON_SHOULDER_RTYPE and not shoulder:
        raise RegistryFormatError(f"{at}: shoulder record has no shoulder in 'what'")
    if rtype == _JSON_NAAN_RTYPE and shoulder:
        raise RegistryFormatError(f"{at}: NAAN record has a shoulder in 'what'")
    # Shoulder records repeat the parts in 'naan' and 'shoulder'; they must agree with 'what'.
    declared_naan = _json_str(item, "naan", at)
    if declared_naan and declared_naan.lower() != naan:
        raise RegistryFormatError(f"{at}: 'naan' {_show(declared_naan)} disagrees with 'what'")
    declared_shoulder = _json_str(item, "shoulder", at)
    if declared_shoulder and declared_shoulder != shoulder:
        raise RegistryFormatError(
            f"{at}: 'shoulder' {_show(declared_shoulder)} disagrees with 'what'"
        )

    who = item.get("who")
    if who is None:
        name, acronym = "", ""
    elif isinstance(who, str):
        name, acronym = _split_who(who)
    elif isinstance(who, dict):
        name, acronym = _json_str(who, "name", f"{at} 'who'"), _json_str(who, "acronym", at)
    else:
        raise RegistryFormatError(f"{at}: 'who' is a {_json_type(who)}, not an object")

    where_code, base = _strip_code(_json_str(item, "where", at))

    target_value = item.get("target")
    target_code: int | None = None
    if target_value is None:
        target = ""
    elif isinstance(target_value, str):
        code, target = _strip_code(target_value.strip())
        target_code = code
    elif isinstance(target_value, dict):
        target = _json_str(target_value, "url", f"{at} 'target'")
        raw_code = target_value.get("http_code")
        if raw_code is not None:
            if isinstance(raw_code, bool) or not isinstance(raw_code, int | str):
                raise RegistryFormatError(f"{at}: 'target.http_code' is not a number")
            try:
                target_code = int(raw_code)
            except ValueError:
                raise RegistryFormatError(
                    f"{at}: 'target.http_code' {_show(raw_code)} is not a number"
                ) from None
    else:
        raise RegistryFormatError(f"{at}: 'target' is a {_json_type(target_value)}")
    http_code = _http_code(target_code or where_code, at)

    policy_value = item.get("na_policy")
    if policy_value is None and isinstance(item.get("how"), str):
        org_type, policy, tenure, policy_url = _split_how(item["how"])
    elif policy_value is None:
        org_type = policy = tenure = policy_url = ""
    elif isinstance(policy_value, dict):
        sub = f"{at} 'na_policy'"
        org_type = _json_str(policy_value, "orgtype", sub)
        policy = _normalise_policy(_json_str(policy_value, "policy", sub))
        tenure = _json_str(policy_value, "tenure", sub)
        policy_url = _json_str(policy_value, "policy_url", sub)
    else:
        raise RegistryFormatError(f"{at}: 'na_policy' is a {_json_type(policy_value)}")

    return NaanRecord(
        naan=naan,
        shoulder=shoulder,
        name=name,
        acronym=acronym,
        where=_normalise_base(base),
        target=target,
        http_code=http_code,
        registered=_parse_json_date(_json_str(item, "when", at), at),
        org_type=org_type,
        policy=policy,
        tenure=tenure,
        policy_url=policy_url,
        test_identifier=_json_str(item, "test_identifier", at),
    )


def _json_str(obj: dict[str, Any], key: str, at: str) -> str:
    """A string field of a JSON object: absent or null -> '', numbers -> text, else an error."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool) and key != "what":
        return str(value)
    raise RegistryFormatError(f"{at}: {key!r} is a {_json_type(value)}, not a string")


def _json_type(value: object) -> str:
    names: dict[type, str] = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _parse_json_date(value: str, at: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).date()
    except ValueError:
        pass
    # Fall back to the ANVL date forms (some dumps copy them through).
    return _parse_temper_date(value, at)


# --------------------------------------------------------------------------------------------
# Field helpers shared by both formats


def _split_what(what: str, at: str) -> tuple[str, str]:
    """``13038`` -> (``13038``, ``''``); ``ark:/99166/w6`` or ``99166/w6`` -> (``99166``, ``w6``).

    The NAAN is lower-cased and must be betanumeric; the shoulder is kept as written.
    """
    rest = what.strip()
    prefix = _ARK_PREFIX_RE.match(rest)
    if prefix:
        rest = rest[prefix.end() :]
    naan, slash, shoulder = rest.partition("/")
    naan = naan.strip().lower()
    if not _NAAN_RE.fullmatch(naan):
        raise RegistryFormatError(
            f"{at}: invalid NAAN {_show(naan)} in 'what' {_show(what)} (expected betanumeric text: "
            "digits and the consonants bcdfghjkmnpqrstvwxz)"
        )
    shoulder = shoulder.strip().strip("/")
    if slash and shoulder and not _SHOULDER_RE.fullmatch(shoulder):
        raise RegistryFormatError(
            f"{at}: invalid shoulder {_show(shoulder)} in 'what' {_show(what)}"
        )
    return naan, shoulder


def _split_who(who: str) -> tuple[str, str]:
    """Split ``name [(=) English name] (=) ACRONYM`` into (name, acronym).

    With three or more variants the registry puts the native name first and the English one
    second-to-last; the English name is returned, as the public JSON does.
    """
    if not who:
        return "", ""
    variants = [part.strip() for part in who.split("(=)")]
    if len(variants) == 1:
        return variants[0], ""
    if len(variants) == 2:
        return variants[0], variants[1]
    return variants[-2] or variants[0], variants[-1]


def _split_how(how: str) -> tuple[str, str, str, str]:
    """Split ``orgtype | policy | tenure | policy URL`` (missing parts are '')."""
    parts = [part.strip() for part in how.split("|")] if how else []
    parts += [""] * (4 - len(parts))
    org_type, policy, tenure = parts[0], parts[1], parts[2]
    policy_url = "|".join(parts[3:]).strip().rstrip("|").strip()
    return org_type, _normalise_policy(policy), tenure, policy_url


def _normalise_policy(policy: str) -> str:
    """Newer records write the policy as a list, ``['NR', 'OP']``; give it as ``NR, OP``."""
    if policy.startswith("[") and policy.endswith("]"):
        items = [item.strip().strip("'\"").strip() for item in policy[1:-1].split(",")]
        return ", ".join(item for item in items if item)
    return policy


def _strip_code(value: str) -> tuple[int | None, str]:
    """``303 http://x`` -> (303, ``http://x``); other values come back unchanged."""
    match = _CODE_PREFIX_RE.fullmatch(value)
    if match:
        return int(match.group("code")), match.group("rest").strip()
    return None, value


def _http_code(code: int | None, at: str) -> int:
    if code is None or code == 0:
        return DEFAULT_HTTP_CODE
    if code not in _ALLOWED_HTTP_CODES:
        allowed = ", ".join(str(c) for c in sorted(_ALLOWED_HTTP_CODES))
        raise RegistryFormatError(f"{at}: redirect status {code} is not one of {allowed}")
    return code


def _normalise_base(base: str) -> str:
    """Give a bare host name (``lib.example.edu``) the ``https://`` scheme; keep the rest as is.

    Other odd values found in the real registry (``N/A``, ``http//host``) are kept verbatim;
    :func:`expand_target` refuses to redirect to them.
    """
    base = base.strip()
    if base and "://" not in base and _NAKED_HOST_RE.fullmatch(base):
        return f"https://{base}"
    return base


def _parse_temper_date(value: str, at: str) -> datetime.date | None:
    """``2002.07.12`` -> a date; a year or year.month alone, or a ``(:unkn)`` code -> None."""
    value = value.strip()
    if not value or value.startswith("(:"):
        return None
    match = _FULL_DATE_RE.fullmatch(value)
    if match:
        year, month, day = (int(group) for group in match.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise RegistryFormatError(f"{at}: impossible date {_show(value)}") from None
    if _PARTIAL_DATE_RE.fullmatch(value):
        return None
    raise RegistryFormatError(f"{at}: unreadable date {_show(value)} (expected YYYY.MM.DD)")


def _show(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


# --------------------------------------------------------------------------------------------
# Target expansion helpers


def _split_ark(ark: str) -> tuple[str, str]:
    """``ark:/12345/x6/y`` -> (``12345``, ``x6/y``)."""
    if not isinstance(ark, str):
        raise TypeError(f"ark must be a str, not {type(ark).__name__}")
    text = ark.strip()
    prefix = _ARK_PREFIX_RE.match(text)
    if prefix:
        text = text[prefix.end() :]
    naan, _, name = text.partition("/")
    naan = naan.lower()
    if not _NAAN_RE.fullmatch(naan):
        raise ValueError(f"not an ARK: {_show(ark)} (no valid NAAN)")
    return naan, name


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe=_URL_SAFE)


def _check_redirect_url(url: str) -> None:
    """Refuse anything that is not an absolute http(s) URL safe to put in a Location header."""
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise ValueError(f"redirect target contains whitespace or control characters: {_show(url)}")
    if "\\" in url:
        raise ValueError(f"redirect target contains a backslash: {_show(url)}")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError if the port is malformed
    except ValueError as exc:
        raise ValueError(f"redirect target is not a valid URL: {_show(url)} ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError(f"redirect target must be an http or https URL, not {_show(url)}")
    if not host:
        raise ValueError(f"redirect target has no host: {_show(url)}")
