"""Blocking: which records are worth comparing. Keys, caps and an in-memory index.

A record gets three kinds of block key (``block_keys``):

* ``pid:<kind>:<value>`` for each identifying PID (exact PID blocking, on the normal forms of
  ``aggregation.formats.pids``);
* ``t:<w1> <w2> <w3>`` for each combination of three of the first five key words of a title
  (stop words dropped, each word cut to five letters, the three in alphabetical order). A typo
  in one word leaves four of the ten keys intact, two typos leave one; "the" or an article
  more or less, a plural, or words in another order change nothing. A title of three key
  words also gets its pairs of words, a title of two its pair and each word alone, so that a
  typo in a short title does not lose it. Every title of the record gets keys (translated and
  alternative titles, and the heads before a subtitle), so a record that lists an English
  and a Portuguese title meets the records of either;
* ``g:<generic title>|<year>|<first surname>`` for generic titles ("Editorial", "Book
  review"...), which never block on the title alone: thousands of different editorials exist.

Chosen by measurement (``python -m bench.dedup_scale --blocking-study``): against OpenAIRE's
prefix/suffix chain, MinHash LSH and sorted neighbourhood on DBLP-ACM and on the synthetic
benchmark, it kept about as many true pairs together (99.6% and 97.2%) as LSH and sorted
neighbourhood for three to forty times fewer comparisons (the prefix/suffix chain is cheaper
but loses one true pair in thirteen to eight), and unlike sorted neighbourhood its keys can be
stored: an incremental run looks up a new record's blocks instead of re-sorting everything.

Caps: a block with more than ``max_block_size`` members is not compared all against all; each
member meets its ``block_window`` nearest neighbours in the order of ``sort_key`` (its first
title's key words), as OpenAIRE compares within a sliding window. Being a neighbour is
symmetric, so a full run compares each pair once.

A database-backed index stores ``(key, sort_key, record id)`` rows and answers ``candidates``
the same way: the whole block when its size is within the cap, else the ``block_window // 2``
rows on each side of the record's ``(sort_key, id)``.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Iterable, Iterator, Mapping

from aggregation.dedup.record import DedupRecord
from aggregation.dedup.settings import DEFAULT_SETTINGS, DedupSettings

__all__ = ["Index", "block_keys", "sort_key"]


def block_keys(record: DedupRecord, settings: DedupSettings = DEFAULT_SETTINGS) -> set[str]:
    """Every block the record belongs to (see the module docstring for the forms)."""
    features = record.features
    keys = {f"pid:{pid}" for pid in features.pid_keys}
    for title in features.titles:
        if title.generic:
            if not title.is_part:
                generic = _generic_key(record, title.key_text)
                if generic:
                    keys.add(generic)
            continue
        keys.update(_title_keys(title.keys, settings, whole=not title.is_part))
    return keys


def sort_key(record: DedupRecord) -> str:
    """The order of a record within an oversized block: its first folded title."""
    titles = record.features.titles
    return titles[0].key_text if titles else ""


def _title_keys(words: tuple[str, ...], settings: DedupSettings, *, whole: bool) -> Iterator[str]:
    # Sorted once, so that every combination comes out sorted: word order does not matter.
    heads = sorted(w[: settings.title_key_prefix] for w in words[: settings.title_key_words])
    if len(heads) >= 4:
        sizes: tuple[int, ...] = (3,)
    elif len(heads) == 3:
        sizes = (3, 2)  # the 3 words meet longer titles, any 2 of them a typo in the third
    elif whole:
        sizes = (len(heads), 1)
    else:  # a head such as "Deep learning:" would fill the blocks of its single words
        sizes = (len(heads),)
    for size in sizes:
        for combo in itertools.combinations(heads, size):
            yield "t:" + " ".join(combo)


def _generic_key(record: DedupRecord, generic_title: str) -> str | None:
    names = record.features.names
    if record.year is None or not names:
        return None
    return f"g:{generic_title}|{record.year}|{names[0].surname}"


class Index:
    """Blocks held in memory: for benchmarks, tests and one-off runs over a list of records.

    Records are added and removed by id; ``candidates`` gives the ids a record must be compared
    with (itself excluded); ``pairs`` walks every candidate pair of the index once. Internally
    records live in numbered slots and blocks are keyed by the hash of the key, so that a
    million records fit in a few GiB: most blocks hold one record, stored as a bare slot number.
    """

    def __init__(self, settings: DedupSettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self._slot: dict[str, int] = {}
        self._records: list[DedupRecord | None] = []
        self._keys: list[array[int] | None] = []  # per slot: hashes of the record's keys
        self._blocks: dict[int, int | list[int]] = {}  # small blocks: slots, insertion order
        self._sorted: dict[int, list[tuple[str, str, int]]] = {}  # big: (sort key, id, slot)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._slot

    def get(self, record_id: str) -> DedupRecord:
        record = self._records[self._slot[record_id]]
        assert record is not None
        return record

    def records(self) -> Iterator[DedupRecord]:
        return (r for r in self._records if r is not None)

    def by_id(self) -> Mapping[str, DedupRecord]:
        """A read-only view of the records by id (no copy)."""
        return _RecordsById(self)

    def add(self, record: DedupRecord) -> None:
        """Add a record, replacing the stored one with the same id (a changed record)."""
        if record.id in self._slot:
            self.remove(record.id)
        slot = len(self._records)
        hashes = array("q", (hash(k) for k in block_keys(record, self.settings)))
        self._slot[record.id] = slot
        self._records.append(record)
        self._keys.append(hashes)
        for key in hashes:
            self._insert(key, slot)

    def add_all(self, records: Iterable[DedupRecord]) -> None:
        for record in records:
            self.add(record)

    def remove(self, record_id: str) -> None:
        slot = self._slot.pop(record_id, None)
        if slot is None:
            return
        record, hashes = self._records[slot], self._keys[slot]
        assert record is not None and hashes is not None
        for key in hashes:
            big = self._sorted.get(key)
            if big is not None:
                big.remove((sort_key(record), record.id, slot))
                continue
            members = self._blocks[key]
            if isinstance(members, int) or len(members) == 1:
                del self._blocks[key]
            else:
                members.remove(slot)
        self._records[slot] = None
        self._keys[slot] = None

    def _insert(self, key: int, slot: int) -> None:
        big = self._sorted.get(key)
        if big is not None:
            record = self._records[slot]
            assert record is not None
            bisect.insort(big, (sort_key(record), record.id, slot))
            return
        members = self._blocks.get(key)
        if members is None:
            self._blocks[key] = slot
        elif isinstance(members, int):
            self._blocks[key] = [members, slot]
        else:
            members.append(slot)
            if len(members) > self.settings.max_block_size:
                # Once big, a block stays sorted (it rarely shrinks back under the cap).
                del self._blocks[key]
                self._sorted[key] = sorted(self._entry(m) for m in members)

    def _entry(self, slot: int) -> tuple[str, str, int]:
        record = self._records[slot]
        assert record is not None
        return (sort_key(record), record.id, slot)

    def candidates(self, record: DedupRecord) -> set[str]:
        """Ids of the records ``record`` must be compared with, whether or not it is indexed."""
        slot = self._slot.get(record.id)
        if slot is not None and self._records[slot] is record:
            found = self._candidate_slots(slot, self._keys[slot] or (), record)
        else:
            hashes = [hash(k) for k in block_keys(record, self.settings)]
            found = self._candidate_slots(-1, hashes, record)
        records = self._records
        return {r.id for r in (records[s] for s in found) if r is not None and r.id != record.id}

    def _candidate_slots(self, slot: int, hashes: Iterable[int], record: DedupRecord) -> set[int]:
        found: set[int] = set()
        half = self.settings.block_window // 2
        blocks = self._blocks
        for key in hashes:
            members = blocks.get(key)
            if members is not None:
                if isinstance(members, int):
                    found.add(members)
                else:
                    found.update(members)
                continue
            big = self._sorted.get(key)
            if big is not None:
                entry = (sort_key(record), record.id, slot)
                at = bisect.bisect_left(big, entry)
                mine = at < len(big) and big[at] == entry
                stop = at + half + (1 if mine else 0)
                found.update(s for _, _, s in big[max(0, at - half) : stop])
        found.discard(slot)
        return found

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every candidate pair once, as ``(earlier id, later id)`` in insertion order."""
        records = self._records
        for slot, record in enumerate(records):
            hashes = self._keys[slot]
            if record is None or hashes is None:
                continue
            for other in sorted(s for s in self._candidate_slots(slot, hashes, record) if s > slot):
                partner = records[other]
                if partner is not None:
                    yield record.id, partner.id

    def block_sizes(self) -> Iterator[int]:
        """The size of every block (for statistics)."""
        yield from (1 if isinstance(m, int) else len(m) for m in self._blocks.values())
        yield from (len(m) for m in self._sorted.values())


class _RecordsById(Mapping[str, DedupRecord]):
    def __init__(self, index: Index) -> None:
        self._index = index

    def __getitem__(self, record_id: str) -> DedupRecord:
        return self._index.get(record_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index._slot)

    def __len__(self) -> int:
        return len(self._index)
