"""The knobs of the dedup engine, with the defaults every caller uses.

One frozen dataclass, so a run can say exactly which settings produced its clusters. The
defaults are principled choices explained next to each field, checked against the training and
validation splits of DBLP-ACM (never its test split) and the synthetic benchmark
(bench/dedup_scale.py); nothing is fitted per dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_SETTINGS", "DedupSettings"]


@dataclass(frozen=True, slots=True)
class DedupSettings:
    # --- blocking ---
    # Title keys are the 3-word combinations of the first ``title_key_words`` key words, each
    # cut to ``title_key_prefix`` letters (a light stemmer: "system"/"systems").
    title_key_words: int = 5
    title_key_prefix: int = 5
    # A block with more members than this is not compared all against all: each member meets
    # only its ``block_window`` nearest neighbours in title order (OpenAIRE caps blocks at 200
    # and compares within a sliding window of 50).
    max_block_size: int = 100
    block_window: int = 20

    # --- comparison (similarities are rapidfuzz normalised Indel similarities, 0..1) ---
    # Titles whose best pair scores below this disagree, even with a shared PID: a DOI that a
    # repository put on every article of an issue must not merge the issue.
    pid_title_floor: float = 0.5
    # Title similarity needed with compatible authors, and with no authors on one side (also
    # for generic titles and for a title against the head of another).
    title_with_authors: float = 0.9
    title_without_authors: float = 0.95
    # Same authors (``same_authors``) in the same year: a reworded title is the same work.
    title_with_same_authors: float = 0.85
    # Share of the shorter author list that must be found in the other list, and share of the
    # longer one (a single author does not make a four-author paper the same work).
    min_author_overlap: float = 0.5
    min_author_cover: float = 0.5
    # Author overlap (of the longer list) that counts as the same authors.
    same_authors: float = 0.8
    # Years further apart than this are different works, whatever the title says. One year of
    # disagreement is common for one work (online first and issue, deposit and publication);
    # the same title and authors two or more years apart is more often a later version (a
    # conference paper, then the journal article), which is a publication of its own.
    max_year_gap: int = 1
    max_year_gap_without_authors: int = 1

    # --- clustering ---
    max_cluster_size: int = 50
    # Share of member pairs that must match directly for a cluster of three or more to merge.
    min_cohesion: float = 0.5


DEFAULT_SETTINGS = DedupSettings()
