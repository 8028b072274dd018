"""Author lists: how many people two records have in common.

Names are reduced by ``text.parse_name`` (surname, initials, words); two lists are compared
without regard to order, and ORCID iDs count when both records give them.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import Indel

from aggregation.dedup.record import Features
from aggregation.dedup.text import Name

__all__ = ["author_overlap", "same_person"]


def author_overlap(fa: Features, fb: Features) -> tuple[float, float]:
    """``(overlap, cover)``: names found in both lists over the shorter and the longer list.

    A shared ORCID iD counts as a found name. Names match when their surnames agree (exactly,
    or one is a word of the other name: "García" in "García Márquez, Gabriel", or within one
    typo for surnames of five letters or more) and their first initials agree when both have
    one; the order of the list does not matter.
    """
    if not (fa.names and fb.names):
        shared_ids = len(fa.author_ids & fb.author_ids)
        if not shared_ids:
            return 0.0, 0.0
        total = max(len(fa.author_ids), len(fb.author_ids))
        return 1.0, shared_ids / total
    probe, pool = _probe_and_pool(fa.names, fb.names)
    found = _matched_names(probe, pool)
    found = max(found, len(fa.author_ids & fb.author_ids))
    return found / len(probe), found / len(pool)


def _probe_and_pool(
    left: tuple[Name, ...], right: tuple[Name, ...]
) -> tuple[tuple[Name, ...], tuple[Name, ...]]:
    """The shorter list probes the longer; equal lengths are ordered so that the result does
    not depend on argument order."""
    if len(left) != len(right):
        return (left, right) if len(left) < len(right) else (right, left)
    key_left = [(n.surname, n.initials) for n in left]
    key_right = [(n.surname, n.initials) for n in right]
    return (left, right) if key_left <= key_right else (right, left)


def _matched_names(probe: tuple[Name, ...], pool: tuple[Name, ...]) -> int:
    by_surname: dict[str, list[int]] = {}
    for i, name in enumerate(pool):
        by_surname.setdefault(name.surname, []).append(i)
    used: set[int] = set()
    found = 0
    for name in probe:
        index = _find(name, pool, by_surname.get(name.surname, ()), used)
        if index is None:
            index = _find(name, pool, range(len(pool)), used)
        if index is not None:
            used.add(index)
            found += 1
    return found


def _find(name: Name, pool: tuple[Name, ...], indexes: Iterable[int], used: set[int]) -> int | None:
    for i in indexes:
        if i not in used and same_person(name, pool[i]):
            return i
    return None


def same_person(x: Name, y: Name) -> bool:
    """Whether two parsed names may be one person (see ``author_overlap``)."""
    if x.surname == y.surname and _initials_agree(x.initials, y.initials):
        return True
    if _contained(x, y):
        return True
    if not _initials_agree(x.initials, y.initials):
        return False
    if x.surname in y.tokens or y.surname in x.tokens:
        return len(x.surname) > 2 and len(y.surname) > 2
    short, long = sorted((x.surname, y.surname), key=len)
    if len(short) >= 4 and len(long) - len(short) >= 3 and long.endswith(short):
        return True  # a given name run into the surname: "tamerozsu"
    if len(short) >= 5:
        return Indel.distance(x.surname, y.surname, score_cutoff=2) <= 2
    return False


def _initials_agree(x: str, y: str) -> bool:
    return not x or not y or x[0] == y[0]


def _contained(x: Name, y: Name) -> bool:
    """All words (two letters or more, at least two of them) of one name are words of the
    other: "Tang Zhaohui" and "Zhaohui Tang", "Paradise Team" and "The Paradise Team"."""
    long_x = {t for t in x.tokens if len(t) > 1}
    long_y = {t for t in y.tokens if len(t) > 1}
    small, large = (long_x, long_y) if len(long_x) <= len(long_y) else (long_y, long_x)
    return len(small) >= 2 and small <= large
