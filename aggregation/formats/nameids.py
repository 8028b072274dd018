"""Identifiers of people and organisations: ORCID iD, ISNI, ROR. Pure functions, reused by
dedup to compare authors; invalid values give ``None``, never an exception."""

from __future__ import annotations

import re

__all__ = ["mod11_2_check_digit", "normalize_isni", "normalize_orcid", "normalize_ror"]


def mod11_2_check_digit(base: str) -> str:
    """ISO 7064 MOD 11-2 over 15 digits: the last character of an ORCID iD or ISNI."""
    total = 0
    for char in base:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


_ORCID_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:orcid\.org/|orcid:\s*)", re.IGNORECASE)
_SIXTEEN = re.compile(r"^[0-9]{15}[0-9X]$")
# Spaces, hyphens and the hyphen-like characters publishers type instead.
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u00a0")


def normalize_orcid(value: str) -> str | None:
    """``0000-0002-1825-0097`` from any usual spelling, or ``None`` if the check digit fails."""
    digits = _ORCID_PREFIX.sub("", value.strip()).translate(_SEPARATORS).upper().rstrip("/")
    if not _SIXTEEN.match(digits) or mod11_2_check_digit(digits[:15]) != digits[15]:
        return None
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:]}"


_ISNI_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:isni\.org/isni/|isni:?\s*)", re.IGNORECASE)


def normalize_isni(value: str) -> str | None:
    """ISNI (ISO 27729) as 16 characters without spaces, check digit verified (MOD 11-2)."""
    digits = _ISNI_PREFIX.sub("", value.strip()).translate(_SEPARATORS).upper()
    if not _SIXTEEN.match(digits) or mod11_2_check_digit(digits[:15]) != digits[15]:
        return None
    return digits


# ROR IDs: "0", six Crockford base32 characters, two check digits (ror.readme.io, "ROR identifier
# pattern"); the canonical form is the full https URL.
_ROR = re.compile(r"^(?:https?://)?(?:www\.)?(?:ror\.org/)?(0[a-hj-km-np-tv-z0-9]{6}[0-9]{2})/?$")


def normalize_ror(value: str) -> str | None:
    match = _ROR.match(value.strip().lower())
    return f"https://ror.org/{match.group(1)}" if match else None
