"""NOID templates, minting by counter, and the NOID Check Digit Algorithm (NCDA).

Implements the TEMPLATES and NOID CHECK DIGIT ALGORITHM sections of the Noid documentation
(reference/noid-spec.txt). Minting is a pure function of a counter: the caller stores the counter
(e.g. in a database row) and asks for ``template.name(counter, naan=...)``.

Decisions beyond the spec text:

* A bare mask without generator (``eedk``) means ``z``, so a shoulder created that way never runs
  out of names.
* ``r`` ("quasi-random") order is a keyed Feistel permutation of ``[0, capacity)`` with
  cycle-walking: deterministic for a given template (the spec's property that re-creating a
  minter replays the same sequence), no retries, no collisions, exhaustion exactly at capacity.
* The check character covers ``NAAN/name`` (the ARK "Check Zone"), or just the name when the NAAN
  is empty.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "XDIGITS",
    "InvalidTemplate",
    "Template",
    "TemplateExhausted",
    "check_char",
    "has_valid_check_char",
]

XDIGITS = "0123456789bcdfghjkmnpqrstvwxz"
DIGITS = "0123456789"
GENERATORS = "rsz"

_RADIX = len(XDIGITS)  # R = 29, a prime: what makes the NCDA "perfect" below R characters
_ORDINAL = {char: value for value, char in enumerate(XDIGITS)}
_ALPHABET = {"d": DIGITS, "e": XDIGITS}
_FEISTEL_ROUNDS = 8
_DIGEST_BYTES = 64  # blake2b's maximum digest size


class InvalidTemplate(ValueError):
    """The template text is not ``[prefix.]generator mask [k]`` as in the TEMPLATES section."""


class TemplateExhausted(Exception):
    """The counter is beyond the capacity of a bounded (``r`` or ``s``) template."""


def check_char(s: str) -> str:
    """NCDA step 2-3: sum of ordinal x 1-based position, modulo R, as an xdigit.

    Characters that are not xdigits (e.g. '/') have ordinal 0 but still occupy a position.
    """
    total = sum(_ORDINAL.get(char, 0) * position for position, char in enumerate(s, start=1))
    return XDIGITS[total % _RADIX]


def has_valid_check_char(s: str) -> bool:
    """True if the last character of ``s`` is the NCDA check character of the rest."""
    return len(s) >= 2 and check_char(s[:-1]) == s[-1]


@dataclass(frozen=True)
class Template:
    """A NOID template ``prefix.generator mask [k]`` (TEMPLATES section), e.g. ``fk4.reedk``."""

    prefix: str
    generator: str
    mask: str
    check: bool

    def __post_init__(self) -> None:
        _validate_prefix(self.prefix)
        if self.generator not in GENERATORS:
            raise InvalidTemplate(
                f"unknown generator {self.generator!r} (expected 'r', 's' or 'z')"
            )
        _validate_mask(self.mask)

    @classmethod
    def parse(cls, text: str, *, prefix: str = "") -> Template:
        """Parse ``prefix.mask``, a mask with generator (``zeedk``), or a bare mask (``eedk``).

        ``prefix`` supplies the prefix when ``text`` has none; a conflicting one is an error.
        """
        if "." in text:
            text_prefix, _, text = text.partition(".")
            prefix = _merge_prefix(prefix, text_prefix)
        generator, body = _split_generator(text)
        check = body.endswith("k")
        return cls(prefix, generator, body.removesuffix("k") if check else body, check)

    def __str__(self) -> str:
        return f"{self.prefix}.{self.generator}{self.mask}{'k' if self.check else ''}"

    @property
    def capacity(self) -> int | None:
        """Number of names a bounded template can mint; ``None`` for ``z`` (unbounded)."""
        return None if self.generator == "z" else _capacity(self.mask)

    def name(self, counter: int, *, naan: str, seed: bytes | None = None) -> str:
        """The ``counter``-th (0-based) name: prefix + blade (+ NCDA check character).

        ``seed`` keys the ``r`` permutation; by default it is derived from NAAN and template.
        """
        if counter < 0:
            raise ValueError(f"counter must be non-negative, got {counter}")
        name = self.prefix + self._blade(counter, naan=naan, seed=seed)
        return name + check_char(_check_zone(naan, name)) if self.check else name

    def matches(self, name: str, *, naan: str) -> bool:
        """True if this template could have minted ``name`` (well-formedness + NCDA step 1).

        For ``z`` a longer blade is accepted if it repeats the first mask character and does not
        start with '0' (the minter would have produced a shorter name for that counter).
        """
        if not name.startswith(self.prefix):
            return False
        if self.check and not has_valid_check_char(_check_zone(naan, name)):
            return False
        blade = name[len(self.prefix) : len(name) - int(self.check)]
        return self._blade_fits(blade)

    # --- internals ------------------------------------------------------------------------------

    def _blade(self, counter: int, *, naan: str, seed: bytes | None) -> str:
        if self.generator == "z":
            return _encode(counter, _grown_mask(self.mask, counter))
        self._require_in_range(counter)
        if self.generator == "s":
            return _encode(counter, self.mask)
        key = _derive_key(seed if seed is not None else self._default_seed(naan))
        return _encode(_permute(counter, _capacity(self.mask), key), self.mask)

    def _require_in_range(self, counter: int) -> None:
        capacity = _capacity(self.mask)
        if counter >= capacity:
            raise TemplateExhausted(
                f"template {self} is exhausted: it has {capacity} names, asked for #{counter}"
            )

    def _default_seed(self, naan: str) -> bytes:
        # Same template under the same NAAN -> same sequence ("quasi-random" in the spec).
        return f"{naan}/{self.prefix}{self}".encode()

    def _blade_fits(self, blade: str) -> bool:
        mask = self.mask
        if self.generator == "z" and len(blade) > len(mask):
            if blade.startswith("0"):
                return False
            mask = mask[0] * (len(blade) - len(mask)) + mask
        return len(blade) == len(mask) and all(
            c in _ALPHABET[m] for c, m in zip(blade, mask, strict=True)
        )


# --- template parsing helpers -------------------------------------------------------------------


def _merge_prefix(given: str, from_text: str) -> str:
    """The prefix comes from the template text or the keyword; both must agree."""
    if given and from_text and given != from_text:
        raise InvalidTemplate(f"template prefix {from_text!r} conflicts with prefix {given!r}")
    return from_text or given


def _split_generator(mask: str) -> tuple[str, str]:
    """Split off the generator; a mask starting with 'd'/'e' has none and means 'z'."""
    if not mask:
        raise InvalidTemplate("the template mask is empty")
    if mask[0] in GENERATORS:
        return mask[0], mask[1:]
    if mask[0] in _ALPHABET:
        return "z", mask  # unbounded, so a shoulder never runs out (module docstring)
    raise InvalidTemplate(
        f"unknown generator {mask[0]!r} in mask {mask!r} (expected 'r', 's', 'z', or 'd'/'e')"
    )


def _validate_prefix(prefix: str) -> None:
    for char in prefix:
        if char not in XDIGITS:
            raise InvalidTemplate(
                f"template prefix {prefix!r} has a non-betanumeric character {char!r}"
            )


def _validate_mask(mask: str) -> None:
    """After the generator: only 'd' and 'e'; 'k' only as the final (separate) check flag."""
    if not mask:
        raise InvalidTemplate("the template mask has no 'd' or 'e' characters")
    for char in mask:
        if char == "k":
            raise InvalidTemplate("the check character 'k' must be the last mask character")
        if char not in _ALPHABET:
            raise InvalidTemplate(
                f"unknown mask character {char!r} (allowed: 'd', 'e' and a final 'k')"
            )


# --- encoding -----------------------------------------------------------------------------------


def _capacity(mask: str) -> int:
    """10 per 'd' times 29 per 'e'."""
    capacity = 1
    for char in mask:
        capacity *= len(_ALPHABET[char])
    return capacity


def _grown_mask(mask: str, counter: int) -> str:
    """For 'z': repeat the most significant mask character until ``counter`` fits."""
    while _capacity(mask) <= counter:
        mask = mask[0] + mask
    return mask


def _encode(value: int, mask: str) -> str:
    """Mixed-radix representation of ``value``, least significant character last."""
    chars: list[str] = []
    for kind in reversed(mask):
        alphabet = _ALPHABET[kind]
        value, digit = divmod(value, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(reversed(chars))


def _check_zone(naan: str, name: str) -> str:
    """What the check character covers: ``NAAN/name`` (ARK "Check Zone")."""
    return f"{naan}/{name}" if naan else name


# --- 'r' order: keyed Feistel permutation with cycle-walking ------------------------------------


def _derive_key(seed: bytes) -> bytes:
    return hashlib.blake2b(seed, digest_size=32, person=b"noid-r-order").digest()


def _permute(index: int, capacity: int, key: bytes) -> int:
    """A bijection of ``[0, capacity)``: permute the enclosing even-bit power-of-two domain and
    walk the cycle until the value is back in range (it terminates: ``index`` is on the cycle)."""
    bits = max(2, (capacity - 1).bit_length())
    half = (bits + 1) // 2  # even bit count so both Feistel halves are equal
    value = _feistel(index, half, key)
    while value >= capacity:
        value = _feistel(value, half, key)
    return value


def _feistel(value: int, half: int, key: bytes) -> int:
    """A balanced Feistel network: a permutation of ``[0, 2**(2*half))`` for any round function."""
    low_mask = (1 << half) - 1
    left, right = value >> half, value & low_mask
    for round_number in range(_FEISTEL_ROUNDS):
        left, right = right, left ^ (_round_function(key, round_number, right, half) & low_mask)
    return (left << half) | right


def _round_function(key: bytes, round_number: int, right: int, half: int) -> int:
    """Keyed pseudo-random bits: enough 64-byte blake2b blocks to cover ``half`` bits."""
    data = round_number.to_bytes(2, "big") + right.to_bytes((half + 7) // 8, "big")
    blocks = -(-half // (8 * _DIGEST_BYTES))  # ceiling division
    return int.from_bytes(b"".join(_block(key, block, data) for block in range(blocks)), "big")


def _block(key: bytes, block: int, data: bytes) -> bytes:
    digest = hashlib.blake2b(block.to_bytes(4, "big") + data, key=key, digest_size=_DIGEST_BYTES)
    return digest.digest()
