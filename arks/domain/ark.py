"""Parse, normalise and compare ARK identifiers.

Implements draft-kunze-ark, sections "ARK Anatomy" (NMA, Label, NAAN, Name, Shoulders,
Qualifiers), "Character Repertoires" and "Normalization and Lexical Equivalence" (steps 1-9;
step 7, inflections, belongs to the resolver and is not done here).

Decisions beyond the spec text:

* Input longer than ``MAX_ARK_LENGTH`` is rejected before any work (cheap DoS guard).
* The NMA is everything before the first ``ark:`` / ``ark%3A`` label (any case) that starts the
  text or follows a ``/``; a query string (``?``) and fragment (``#``) after the label are dropped.
* A request percent-encoded as a whole is decoded once: an embedded resolver URL
  (``https%3A%2F%2Fn2t.net%2Fark%3A%2F99999%2F…``, as N2T accepts) or an ARK whose label and
  NAAN separator are both encoded (``ark%3A99999%2F…``). Neither can be read otherwise (a NAAN
  holds no ``%``), so no ARK that parses changes identity; an ARK's own escapes arrive there as
  ``%25…`` and come back as they were.
* Copy-paste tolerance ("Character Repertoires", last paragraph, and step 6 of "Normalization
  and Lexical Equivalence"): all whitespace is removed, and U+2010..U+2015 and U+2212 become
  ``-``, also when they arrive percent-encoded in UTF-8 (``%E2%80%90``), as browsers send them.
* Hyphens are always removed from the NAAN (it must be betanumeric); in the name they are removed
  unless ``keep_hyphens=True`` (a display form that still normalises everything else).
* ``..`` (also spelt with ``%2E``) is rejected outright: structural folding would turn it into
  ``.``, but an identifier that *looks* like directory traversal is never what an owner meant,
  and a percent-encoded ``%2E%2E`` becomes a real ``..`` segment in WHATWG URL parsing when a
  resolver appends the suffix to a target URL.
* Step 9 (a variant followed by a path) is handled by rejecting the ARK as malformed.
* Percent escapes are validated and upper-cased (step 5) but never decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "BETANUMERIC",
    "MAX_ARK_LENGTH",
    "MAX_NAAN_LENGTH",
    "Ark",
    "InvalidArk",
    "equivalent",
    "is_betanumeric",
    "normalize",
    "parse",
    "without_nma",
]

BETANUMERIC = "0123456789bcdfghjkmnpqrstvwxz"
MAX_ARK_LENGTH = 2048
MAX_NAAN_LENGTH = 32

# "Character Repertoires": letters, digits, seven plain punctuation marks and four reserved ones.
_ALLOWED = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + "=~*+@_$" + "%-./"
)
# Hyphen-like characters introduced by publishers (U+2010..U+2015) and the minus sign.
_HYPHEN_LIKE = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_HYPHENS = str.maketrans(dict.fromkeys(_HYPHEN_LIKE, "-"))

_LABEL = re.compile(r"(?:^|/)\s*ark(?::|%3a)", re.IGNORECASE)
# Requests percent-encoded as a whole (see the module docstring): a resolver URL before the ARK,
# or an encoded label whose NAAN ends in an encoded slash.
_ENCODED_WHOLE = re.compile(
    r"^[/\s]*(?:https?%3a%2f%2f|ark%3a(?:%2f)?[0-9a-z-]+%2f)", re.IGNORECASE
)
# UTF-8 of U+2010..U+2015 (E2 80 90..95) and U+2212 (E2 88 92), escaped.
_ESCAPED_HYPHEN_LIKE = re.compile(r"%E2%80%9[0-5]|%E2%88%92", re.IGNORECASE)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2}).{0,2}", re.DOTALL)
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_DOT_DOT = re.compile(r"(?:\.|%2E){2}")
_STRUCTURAL_RUN = re.compile(r"([./])[./]+")
_BASE_NAME_END = re.compile(r"[./]")
_SHOULDER = re.compile(r"[bcdfghjkmnpqrstvwxz]*[0-9]")


class InvalidArk(ValueError):
    """Raised with a human-readable message saying what is wrong (shown in HTTP 400 bodies)."""


@dataclass(frozen=True, slots=True)
class Ark:
    """A parsed, normalised ARK ("ARK Anatomy": ``ark:NAAN/Name[Qualifiers]``).

    ``name`` is the Base Compact Name minus the NAAN; ``qualifier`` is ComponentPath followed by
    VariantPath. ``shoulder`` + ``blade`` == ``name`` ("Optional: Shoulders").
    """

    naan: str
    name: str
    qualifier: str
    shoulder: str
    blade: str

    @property
    def path(self) -> str:
        """The ComponentPath ("The Qualifier Part"), e.g. ``/c3/s5``."""
        return self.qualifier.partition(".")[0]

    @property
    def variant(self) -> str:
        """The VariantPath ("The Qualifier Part"), e.g. ``.v7.xsl``."""
        path = self.path
        return self.qualifier[len(path) :]

    @property
    def base(self) -> str:
        """The Base Compact Name, e.g. ``ark:12345/x6np1wh8k``."""
        return f"ark:{self.naan}/{self.name}"

    def __str__(self) -> str:
        # The modern label form ("The ARK Label Part"): implementations should generate "ark:".
        return f"{self.base}{self.qualifier}"

    def ancestors(self) -> list[str]:
        """ARKs implied by this one, longest first, down to (and including) the base name.

        "ARKs that Reveal Object Hierarchy/Variants": publishing ``x54/xz/321`` implies
        ``x54/xz`` and ``x54``; ``x54.v18.fr.odf`` implies ``x54.v18.fr``, ``x54.v18``, ``x54``.
        The ARK itself is excluded. Used for suffix passthrough.
        """
        result: list[str] = []
        qualifier = self.qualifier
        while qualifier:
            qualifier = qualifier[: _last_structural(qualifier)]
            result.append(f"{self.base}{qualifier}")
        return result


def parse(text: str, *, keep_hyphens: bool = False) -> Ark:
    """Parse and normalise ``text`` ("Normalization and Lexical Equivalence", steps 1-6, 8, 9).

    Raises ``InvalidArk`` (with a message for humans) for anything that is not an ARK.
    """
    if len(text) > MAX_ARK_LENGTH:
        raise InvalidArk(f"an ARK may be at most {MAX_ARK_LENGTH} characters long")
    body = _clean(_after_label(text))
    naan_text, _, name_text = body.partition("/")
    naan = _parse_naan(naan_text)
    name = _normalize_name(name_text, keep_hyphens=keep_hyphens)
    return _split(naan, name)


def normalize(text: str, *, keep_hyphens: bool = False) -> str:
    """The normalised modern form ``ark:NAAN/Name[Qualifiers]``; same as ``str(parse(...))``."""
    return str(parse(text, keep_hyphens=keep_hyphens))


def equivalent(a: str, b: str) -> bool:
    """Lexical equivalence ("Normalization and Lexical Equivalence"): equal normal forms.

    Comparison is case-sensitive except for the label and NAAN. Text that is not a valid ARK is
    simply not equivalent to anything (``False``, no exception), since it identifies nothing.
    """
    try:
        return normalize(a) == normalize(b)
    except InvalidArk:
        return False


def is_betanumeric(s: str) -> bool:
    """True if ``s`` is non-empty and only digits and consonants minus 'l' ("The NAAN")."""
    return bool(s) and all(c in BETANUMERIC for c in s)


# --- steps 1-2: strip the NMA, the query string and the fragment -------------------------------


def without_nma(text: str) -> str:
    """Step 1: ``text`` from its ``ark:`` label on, whatever came before it (an NMA, a resolver
    URL, a request percent-encoded as a whole); raises ``InvalidArk`` without a label."""
    text = _decoded_whole(text)
    match = _LABEL.search(text)
    if match is None:
        raise InvalidArk("no 'ark:' label found (expected e.g. 'ark:12345/x6np1wh8k')")
    return text[match.start() :].lstrip("/ \t\r\n")


def _decoded_whole(text: str) -> str:
    """A request percent-encoded as a whole, decoded once; anything else as it is."""
    if not _ENCODED_WHOLE.match(text):
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text  # not UTF-8: left as it is, and refused for what it holds


def _after_label(text: str) -> str:
    """Text after the label and its optional old-form '/' (steps 1-3), without query/fragment."""
    text = _decoded_whole(text)
    match = _LABEL.search(text)
    if match is None:
        raise InvalidArk("no 'ark:' label found (expected e.g. 'ark:12345/x6np1wh8k')")
    rest = _strip_query(text[match.end() :])
    _check_repertoire(rest, offset=match.end())
    return rest


def _strip_query(text: str) -> str:
    """Drop the query string (step 2) and fragment, which never take part in identity."""
    return re.split(r"[?#]", text, maxsplit=1)[0]


def _check_repertoire(text: str, *, offset: int) -> None:
    """Reject characters outside "Character Repertoires", naming the 1-based input position."""
    for index, char in enumerate(text):
        if char in _ALLOWED or char in _HYPHEN_LIKE or char.isspace():
            continue
        position = offset + index + 1
        raise InvalidArk(
            f"character {char!r} (U+{ord(char):04X}) at position {position} "
            "is not allowed in an ARK"
        )


# --- copy-paste tolerance and percent escapes (step 5) -----------------------------------------


def _clean(text: str) -> str:
    """Remove whitespace, unify hyphens, validate and upper-case escapes, drop old-form '/'."""
    text = "".join(text.split()).translate(_HYPHENS)
    text = _ESCAPED_HYPHEN_LIKE.sub("-", text)
    text = _uppercase_escapes(text)
    # "ark:/" and "ark:" are equivalent (step 3); removing whitespace first tolerates "ark: /".
    # The old form's '/' may come escaped, as in "ark%3A%2F" (a NAAN never starts with '%').
    return text[3:] if text[:3].upper() == "%2F" else text.removeprefix("/")


def _uppercase_escapes(text: str) -> str:
    """Step 5: the two characters after '%' are upper-cased; a bad escape is an error."""
    bad = _BAD_PERCENT.search(text)
    if bad is not None:
        raise InvalidArk(
            f"malformed percent-escape {bad.group()!r}: '%' must be followed by two hex digits"
        )
    return _PERCENT.sub(lambda m: "%" + m.group(1).upper(), text)


# --- NAAN (step 4) -----------------------------------------------------------------------------


def _parse_naan(text: str) -> str:
    """Step 4 lower-cases the NAAN; it must be 1..32 betanumerics ("The NAAN")."""
    naan = text.replace("-", "").lower()  # hyphens are identity-inert even here (step 6)
    if not naan:
        raise InvalidArk("the NAAN is empty (expected e.g. 'ark:12345/x6np1wh8k')")
    if len(naan) > MAX_NAAN_LENGTH:
        raise InvalidArk(f"the NAAN is longer than {MAX_NAAN_LENGTH} characters")
    for char in naan:
        if char not in BETANUMERIC:
            raise InvalidArk(
                f"the NAAN {naan!r} has a non-betanumeric character {char!r} "
                f"(allowed: {BETANUMERIC})"
            )
    return naan


# --- Name and Qualifiers (steps 6, 8, 9) -------------------------------------------------------


def _normalize_name(text: str, *, keep_hyphens: bool) -> str:
    """Remove hyphens (step 6, unless kept), fold structural characters (step 8), check step 9.

    With ``keep_hyphens`` the hyphen-free form is validated too, so a display form is only
    produced for input that would also normalise without hyphens.
    """
    unhyphenated = text.replace("-", "")
    name = _fold(unhyphenated)
    _reject_dot_dot(unhyphenated, name)
    if not name:
        raise InvalidArk("the name after the NAAN is empty (expected e.g. 'ark:12345/x6np1wh8k')")
    _reject_variant_before_path(name)
    if keep_hyphens:
        name = _fold(text)
        _reject_dot_dot(name.replace("-", ""))
        _reject_variant_before_path(name)
    return name


def _fold(text: str) -> str:
    """Step 8: a run of '/' and '.' becomes its first character; ends lose them entirely."""
    return _STRUCTURAL_RUN.sub(r"\1", text).strip("./")


def _reject_dot_dot(*texts: str) -> None:
    """Refuse anything resembling a parent-directory segment (see module docstring)."""
    if any(_DOT_DOT.search(text) for text in texts):
        raise InvalidArk("'..' is not allowed in an ARK (nor percent-encoded dots like '%2E%2E')")


def _reject_variant_before_path(name: str) -> None:
    """Step 9: a '.' component followed by a '/' component makes the ARK malformed."""
    dot = name.find(".")
    slash = name.find("/", dot + 1) if dot >= 0 else -1
    if slash >= 0:
        variant, path = name[dot:slash], name[slash:]
        raise InvalidArk(
            f"a variant qualifier ({variant!r}) may not be followed by a path ({path!r})"
        )


def _split(naan: str, full_name: str) -> Ark:
    """Cut the base name at the first structural character; the rest is the Qualifier."""
    end = _BASE_NAME_END.search(full_name)
    cut = end.start() if end else len(full_name)
    name, qualifier = full_name[:cut], full_name[cut:]
    shoulder = _shoulder(name)
    return Ark(naan, name, qualifier, shoulder, name[len(shoulder) :])


def _shoulder(name: str) -> str:
    """Primordinal shoulder ("Optional: Shoulders"): consonants up to and including a digit."""
    match = _SHOULDER.match(name)
    return match.group() if match else ""


def _last_structural(text: str) -> int:
    """Index of the last '/' or '.' in ``text`` (a qualifier always starts with one)."""
    return max(text.rfind("/"), text.rfind("."))
