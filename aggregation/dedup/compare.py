"""Pairwise comparison: are two records the same research product? A small decision tree.

The rules follow the order of OpenAIRE's decision tree for publications (OpenAIRE Graph
documentation, "Deduplication > Research products": trusted PIDs first, then resource types,
then the numbers in the titles, then title similarity with the authors) and add what that
tree leaves out. In order:

1. ``shared_pid``: a shared identifying PID (DOI, Handle, URN, ARK, arXiv, PMID, PMCID, ISBN)
   is enough, unless the titles disagree (``pid_title_conflict``): repositories do put one DOI
   on every article of an issue, and the volumes of a book may carry one ISBN. Titles in two
   different languages do not disagree (``shared_pid_translated_title``), nor do titles of
   records with the same authors (``shared_pid_same_authors``).
2. ``type_conflict``: a dataset is not a publication (coarse kinds; ``other`` and unknown kinds
   are compatible with anything, since sources map types unevenly).
3. ``distinct_dois``: two datasets or software packages with different DOIs are different
   versions, which DataCite asks to keep apart; publications are not held to this, because a
   preprint and its published version carry different DOIs.
4. ``no_title``, then the titles: every title of one record (main, alternative, translated)
   against every title of the other; the most similar pair (rapidfuzz Indel similarity of the
   key words, in order or, when that is low, sorted) decides:
   ``title_marker`` (an erratum, a reply, a book review is not the work it names);
   ``distinct_source_items`` (PIDs of one naming authority that differ, as the Handles of
   one repository: two items of that source unless title, numbers, authors and year all agree);
   ``title_numbers`` (close titles whose numbers or roman numerals differ: "Part I" and
   "Part II"); ``generic_title`` (an "Editorial", or a title of fewer than three key words,
   matches only with the same authors and the same year); ``authors_differ`` (OpenAIRE: "the
   presence of different authors will not bring them into the same group"); ``years_differ``;
   ``venues_differ`` (a conference paper and, years later, its journal version);
   then a match by ``title_authors``, ``title_year`` (no authors on one side: a nearly identical
   title and a close year) or ``similar_title_same_authors`` (a reworded title, the same
   authors, the same year); failing those, ``title_head_same_authors`` (one title is the other
   without its subtitle, label or bracketed note, or cut short, by the same authors), else
   ``title_differs``.

Every decision says which rule fired and the scores it saw (``Decision.explain()``).
``compare(a, b)`` and ``compare(b, a)`` give the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz.distance import Indel

from aggregation.dedup.authors import author_overlap
from aggregation.dedup.record import DedupRecord, Features, TitleForm
from aggregation.dedup.settings import DEFAULT_SETTINGS, DedupSettings

__all__ = ["CONFLICT_RULES", "Decision", "compare", "title_similarity"]

Verdict = Literal["match", "no_match"]

# Rules that say two records are certainly different works (rather than "not shown to be the
# same"): a cluster that holds such a pair is not cohesive. Years that differ are not in the
# list: a preprint, its publication and a late deposit can span more than ``max_year_gap``
# from end to end while each matches the next.
CONFLICT_RULES = frozenset(
    {
        "pid_title_conflict",
        "type_conflict",
        "distinct_dois",
        "title_marker",
        "title_numbers",
        "authors_differ",
        "venues_differ",
        "distinct_source_items",
    }
)
_UNTYPED = frozenset({None, "other"})
_VERSIONED_KINDS = frozenset({"dataset", "software"})


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one comparison: ``verdict``, the ``rule`` that decided, its ``scores``."""

    verdict: Verdict
    rule: str
    scores: dict[str, float] = field(default_factory=dict, hash=False)

    @property
    def is_match(self) -> bool:
        return self.verdict == "match"

    @property
    def is_conflict(self) -> bool:
        return self.rule in CONFLICT_RULES

    def explain(self) -> str:
        """``match by title_authors (title=0.97, authors=1.00, year_gap=0)``."""
        shown = ", ".join(f"{k}={v:.2f}" if v % 1 else f"{k}={v:g}" for k, v in self.scores.items())
        return f"{self.verdict.replace('_', ' ')} by {self.rule}" + (f" ({shown})" if shown else "")


def compare(a: DedupRecord, b: DedupRecord, settings: DedupSettings = DEFAULT_SETTINGS) -> Decision:
    """Decide whether ``a`` and ``b`` describe the same research product."""
    fa, fb = a.features, b.features
    cutoff = settings.title_with_authors
    best = _best_titles(fa.titles, fb.titles, heads=False, cutoff=cutoff)
    shared = fa.pid_keys & fb.pid_keys
    if shared:
        return _by_pid(fa, fb, best, settings)
    if fa.kind not in _UNTYPED and fb.kind not in _UNTYPED and fa.kind != fb.kind:
        return Decision("no_match", "type_conflict")
    if fa.dois and fb.dois and _VERSIONED_KINDS & {fa.kind, fb.kind}:
        return Decision("no_match", "distinct_dois")
    if best is None:
        return Decision("no_match", "no_title")
    return _by_title(fa, fb, best, settings)


# --- titles ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TitlePair:
    similarity: float
    left: TitleForm
    right: TitleForm


def title_similarity(left: TitleForm, right: TitleForm, cutoff: float = 0.0) -> float:
    """Normalised Indel similarity of the titles' key words (stop words dropped), in their
    order or, when that scores below ``cutoff``, in alphabetical order ("an open storage system
    for abstract objects" and "an open abstract-object storage system")."""
    if left.key_text == right.key_text:
        return 1.0
    similarity = Indel.normalized_similarity(left.key_text, right.key_text)
    if similarity < cutoff:
        reordered = Indel.normalized_similarity(
            " ".join(sorted(left.keys)), " ".join(sorted(right.keys))
        )
        similarity = max(similarity, reordered)
    return similarity


def _best_titles(
    left: tuple[TitleForm, ...], right: tuple[TitleForm, ...], *, heads: bool, cutoff: float
) -> _TitlePair | None:
    """The most similar pair of whole titles, or with ``heads`` of title heads (pairs where at
    least one side is a variant cut from a longer title, or one whole title is the first four
    key words or more of the other: a truncated title). Ties go to the alphabetically first
    pair, so that the choice does not depend on which record is ``a``."""
    best: _TitlePair | None = None
    best_rank: tuple[float, str, str] | None = None
    for x in left:
        for y in right:
            if heads:
                similarity = _head_similarity(x, y, cutoff)
            elif x.is_part or y.is_part:
                continue
            else:
                similarity = title_similarity(x, y, cutoff)
            if similarity is None:
                continue
            low, high = sorted((x.key_text, y.key_text))
            rank = (similarity, low, high)
            if best_rank is None or rank > best_rank:
                best_rank, best = rank, _TitlePair(similarity, x, y)
    return best


def _head_similarity(x: TitleForm, y: TitleForm, cutoff: float) -> float | None:
    if x.is_part or y.is_part:
        return title_similarity(x, y, cutoff)
    short, long = (x, y) if len(x.keys) <= len(y.keys) else (y, x)
    if len(short.keys) >= 4 and long.keys[: len(short.keys)] == short.keys:
        return 1.0
    return None


def _by_pid(
    fa: Features, fb: Features, best: _TitlePair | None, settings: DedupSettings
) -> Decision:
    """A shared PID, unless the titles disagree: the most similar pair of titles carries
    different numbers, or every pair of title forms scores below ``pid_title_floor`` (a note
    or a subtitle that one record has and the other has not is no disagreement) while the
    titles are in one language and the author lists are not the same (a record and its
    translation share their DOI and their authors, not their words)."""
    if best is None:
        return Decision("match", "shared_pid")
    scores = {"title": best.similarity}
    if not (best.left.generic or best.right.generic) and best.left.numbers != best.right.numbers:
        return Decision("no_match", "pid_title_conflict", scores)
    if best.similarity >= settings.pid_title_floor:
        return Decision("match", "shared_pid", scores)
    closest = max(title_similarity(x, y) for x in fa.titles for y in fb.titles)
    if closest >= settings.pid_title_floor:
        return Decision("match", "shared_pid", {**scores, "title_head": closest})
    if _languages_differ(fa, fb):
        return Decision("match", "shared_pid_translated_title", scores)
    if _Evidence.of(fa, fb, settings, scores).same_authors:
        return Decision("match", "shared_pid_same_authors", scores)
    return Decision("no_match", "pid_title_conflict", scores)


def _languages_differ(fa: Features, fb: Features) -> bool:
    left = {t.lang for t in fa.titles}
    right = {t.lang for t in fb.titles}
    return None not in left and None not in right and left.isdisjoint(right)


def _by_title(fa: Features, fb: Features, best: _TitlePair, settings: DedupSettings) -> Decision:
    left, right = best.left, best.right
    similarity = best.similarity
    scores = {"title": similarity}
    evidence = _Evidence.of(fa, fb, settings, scores)
    if left.markers != right.markers:
        return Decision("no_match", "title_marker", scores)
    if fa.pid_authorities & fb.pid_authorities and not _same_item(best, evidence, settings):
        return Decision("no_match", "distinct_source_items", scores)
    same_numbers = left.numbers == right.numbers
    if not same_numbers and similarity >= settings.title_with_authors:
        return Decision("no_match", "title_numbers", scores)
    if left.generic or right.generic or left.short or right.short:
        same = (
            same_numbers
            and similarity >= settings.title_without_authors
            and evidence.same_authors
            and evidence.gap == 0
        )
        return Decision("match" if same else "no_match", "generic_title", scores)
    if evidence.has_authors and not evidence.compatible_authors:
        return Decision("no_match", "authors_differ", scores)
    if evidence.gap is not None and evidence.gap > settings.max_year_gap:
        return Decision("no_match", "years_differ", scores)
    if evidence.gap and fa.venue and fb.venue and fa.venue != fb.venue:
        # A paper in a conference one year and in a journal the next: two publications.
        return Decision("no_match", "venues_differ", scores)
    if same_numbers:
        rule = _title_rule(similarity, evidence, settings)
        if rule:
            return Decision("match", rule, scores)
    return _by_title_head(fa, fb, evidence, scores, settings)


def _same_item(best: _TitlePair, evidence: _Evidence, settings: DedupSettings) -> bool:
    """Two records whose PIDs were minted by one authority (one repository's Handle prefix,
    one registrant's DOI prefix) and differ are two items that the source itself tells apart:
    only the same whole title, the same numbers, the same authors (or none on one side) and the
    same year make them one item deposited twice. Different years, a head shared by a series
    of items ("Quartet: concert of 1982", "... of 1983") or compatible-but-not-same authors
    keep them apart."""
    return (
        best.similarity >= settings.title_without_authors
        and best.left.numbers == best.right.numbers
        and not evidence.gap
        and (evidence.same_authors or not evidence.has_authors)
    )


def _title_rule(similarity: float, evidence: _Evidence, settings: DedupSettings) -> str | None:
    if evidence.has_authors and similarity >= settings.title_with_authors:
        return "title_authors"
    if (
        not evidence.has_authors
        and similarity >= settings.title_without_authors
        and (evidence.gap is None or evidence.gap <= settings.max_year_gap_without_authors)
    ):
        return "title_year"
    if (
        evidence.same_authors
        and evidence.gap == 0
        and similarity >= settings.title_with_same_authors
    ):
        return "similar_title_same_authors"
    return None


def _by_title_head(
    fa: Features,
    fb: Features,
    evidence: _Evidence,
    scores: dict[str, float],
    settings: DedupSettings,
) -> Decision:
    """A title and the same title without its subtitle or note ("Stream: the Stanford stream
    data manager (demonstration description)"), or cut short, by the same authors."""
    if not evidence.same_authors:
        return Decision("no_match", "title_differs", scores)
    cutoff = settings.title_without_authors
    head = _best_titles(fa.titles, fb.titles, heads=True, cutoff=cutoff)
    if head is None or head.similarity < cutoff:
        return Decision("no_match", "title_differs", scores)
    left, right = head.left, head.right
    # "X (part 1)" and "X (part 2)" share the head "X": the whole titles' numbers must not
    # contradict each other (numbers on one side only belong to what the other left out).
    whole = left.whole_numbers, right.whole_numbers
    contradict = not (whole[0] <= whole[1] or whole[1] <= whole[0])
    if (
        left.short
        or right.short
        or left.generic
        or right.generic
        or left.numbers != right.numbers
        or contradict
    ):
        return Decision("no_match", "title_differs", scores)
    return Decision("match", "title_head_same_authors", {**scores, "title_head": head.similarity})


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What the authors and years say, computed once per comparison."""

    has_authors: bool
    compatible_authors: bool
    same_authors: bool
    gap: int | None

    @classmethod
    def of(
        cls, fa: Features, fb: Features, settings: DedupSettings, scores: dict[str, float]
    ) -> _Evidence:
        has_authors = bool(fa.names and fb.names) or bool(fa.author_ids and fb.author_ids)
        overlap, cover = author_overlap(fa, fb)
        if has_authors:
            scores["authors"] = overlap
            scores["author_cover"] = cover
        # One source often gives only the first names of a long list: a list of ten names or
        # more, or of two or more all found in the other, is compared by overlap alone. A
        # single name is not enough ("Smith et al." against four authors is held apart).
        shorter = min(len(fa.names), len(fb.names))
        truncated = shorter >= 10 or (shorter >= 2 and overlap == 1.0)
        gap = abs(fa.year - fb.year) if fa.year is not None and fb.year is not None else None
        if gap is not None:
            scores["year_gap"] = gap
        return cls(
            has_authors=has_authors,
            compatible_authors=overlap >= settings.min_author_overlap
            and (cover >= settings.min_author_cover or truncated),
            same_authors=has_authors and cover >= settings.same_authors,
            gap=gap,
        )
