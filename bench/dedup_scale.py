"""Throughput and quality of aggregation.dedup on synthetic records with known duplicates.

    python -m bench.dedup_scale [--sizes 100000,1000000] [--smoke] [--seed N]
    python -m bench.dedup_scale --blocking-study [--sizes 100000] [--magellan DIR]

The generator builds works and then the records that repositories, aggregators and preprint
servers would each publish about them: titles with typos, changed case and punctuation, lost
accents, dropped subtitles; a title in Portuguese, Spanish, French, German or Italian with its
English translation in some records only; authors reordered, abbreviated to initials, written
"Family, Given" or "Given Family", one dropped or all missing; years one off or missing; a DOI
in some records, written in different ways; venues and types missing. It also builds the works
that trap a deduplicator: numbered series ("Part II", "Volume 3"), generic titles ("Editorial",
"Apresentação") by different authors, and one title reused by a different work.

For each size it prints the time of each stage (indexing, comparison, clustering), records per
second, blocking's pair completeness (share of duplicate pairs that share a block) and cost
(pairs compared), precision/recall/F1 of the pairs put in one cluster, the clusters held by the
cohesion check, peak memory (RSS), and how the time grew from the previous size against how
the size grew. Generation time is reported apart: it is not part of dedup.

``--blocking-study`` compares blocking schemes on the same data, by pair completeness and cost:
the engine's word-combination keys, OpenAIRE's prefix/suffix chain, MinHash LSH over title
words, and sorted neighbourhood (two passes) — the measurement behind the choice in
aggregation/dedup/blocking.py.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import resource
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aggregation.dedup import DedupRecord, Index, block_keys, deduplicate
from aggregation.dedup.record import TitleText

SMOKE_SIZE = 10_000
DEFAULT_SIZES = (100_000, 1_000_000)
LANGUAGES = ("pt", "es", "fr", "de", "it")
_STOP = {
    "en": ["of", "the", "in", "and", "for", "on", "a", "with", "to"],
    "pt": ["de", "da", "do", "em", "e", "para", "a", "o", "com"],
    "es": ["de", "la", "el", "en", "y", "para", "los", "con", "del"],
    "fr": ["de", "la", "le", "des", "et", "en", "pour", "du", "les"],
    "de": ["der", "die", "und", "in", "von", "für", "mit", "im", "zur"],
    "it": ["di", "la", "il", "e", "in", "per", "della", "del", "con"],
}
_GENERIC = [
    "Editorial",
    "Introduction",
    "Book review",
    "Preface",
    "Presentación",
    "Apresentação",
    "Éditorial",
    "Vorwort",
    "Editoriale",
    "Guest editorial",
]
_ACCENTED = "áéíóúãõçêâàüöäñ"


# --- generation -----------------------------------------------------------------------------------


class Vocabulary:
    """Words drawn with Zipf-like frequencies, one vocabulary per language (word i of each is
    its "translation"), and a pool of personal names with accents."""

    def __init__(self, rng: random.Random, size: int = 30_000) -> None:
        self.rng = rng
        self.words = {lang: self._words(size) for lang in ("en", *LANGUAGES)}
        weights = [1 / (rank + 10) for rank in range(size)]
        self.cum = list(itertools.accumulate(weights))
        self.surnames = self._names(60_000, accents=0.25)
        self.given = self._names(6_000, accents=0.15)
        self.name_cum = list(itertools.accumulate(1 / (r + 50) for r in range(60_000)))

    def _words(self, size: int) -> list[str]:
        consonants, vowels = "bcdfghlmnprstvz", "aeiou"
        seen: set[str] = set()
        words = []
        while len(words) < size:
            syllables = self.rng.choice((2, 2, 3, 3, 3, 4))
            word = "".join(
                self.rng.choice(consonants) + self.rng.choice(vowels) for _ in range(syllables)
            )
            if self.rng.random() < 0.3:
                word += self.rng.choice("nrsltm")
            if word not in seen:
                seen.add(word)
                words.append(word)
        return words

    def _names(self, size: int, accents: float) -> list[str]:
        names = []
        for word in self._words(size):
            if self.rng.random() < accents:
                i = self.rng.randrange(1, len(word))
                word = word[:i] + self.rng.choice(_ACCENTED) + word[i + 1 :]
            names.append(word.capitalize())
        return names

    def title_indexes(self, count: int) -> list[int]:
        return self.rng.choices(range(len(self.cum)), cum_weights=self.cum, k=count)

    def render(self, indexes: list[int], lang: str, subtitle_at: int | None) -> str:
        words = self.words[lang]
        stops = _STOP[lang]
        out = []
        for position, i in enumerate(indexes):
            if position == subtitle_at:
                out[-1] += ":"
            if position and self.rng.random() < 0.3:
                out.append(stops[(i + position) % len(stops)])
            out.append(words[i])
        text = " ".join(out)
        return text[0].upper() + text[1:]

    def person(self) -> tuple[str, str]:
        family = self.rng.choices(self.surnames, cum_weights=self.name_cum)[0]
        given = " ".join(self.rng.choice(self.given) for _ in range(self.rng.choice((1, 1, 2))))
        return family, given


@dataclass
class Work:
    number: int
    titles: list[TitleText]
    subtitle_free: str | None  # the main title without its subtitle
    authors: list[tuple[str, str]]
    year: int
    kind: str
    doi: str | None
    venue: str


@dataclass
class Synthetic:
    records: list[DedupRecord]
    work_of: dict[str, int]

    def gold_pairs(self) -> set[tuple[str, str]]:
        by_work: dict[int, list[str]] = {}
        for rid, work in self.work_of.items():
            by_work.setdefault(work, []).append(rid)
        return {
            _pair(a, b)
            for members in by_work.values()
            if len(members) > 1
            for a, b in itertools.combinations(members, 2)
        }


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = Vocabulary(self.rng)
        self.work_count = 0

    def generate(self, size: int) -> Synthetic:
        records: list[DedupRecord] = []
        work_of: dict[str, int] = {}
        previous: Work | None = None
        while len(records) < size:
            work = self._work(previous)
            previous = work
            copies = self.rng.choices((1, 2, 3, 4, 5), weights=(62, 24, 9, 4, 1))[0]
            for copy in range(min(copies, size - len(records))):
                record = self._record(work, f"r{len(records)}", pristine=copy == 0)
                records.append(record)
                work_of[record.id] = work.number
        return Synthetic(records, work_of)

    def _work(self, previous: Work | None) -> Work:
        rng, vocab = self.rng, self.vocab
        self.work_count += 1
        roll = rng.random()
        if previous is not None and roll < 0.02:
            return self._sibling(previous)  # the next part of a series, or a reused title
        length = rng.choice((3, 4, 5, 6, 6, 7, 8, 9, 10, 12))
        indexes = vocab.title_indexes(length)
        lang = rng.choices(("en", *LANGUAGES), weights=(70, 12, 10, 3, 3, 2))[0]
        subtitle_at = rng.randrange(2, length) if length >= 5 and rng.random() < 0.3 else None
        titles: list[TitleText] = []
        if roll < 0.03:
            titles.append((rng.choice(_GENERIC), lang, "main"))
            subtitle_free = None
        else:
            titles.append((vocab.render(indexes, lang, subtitle_at), lang, "main"))
            subtitle_free = vocab.render(indexes[:subtitle_at], lang, None) if subtitle_at else None
            if rng.random() < 0.3:
                other = "en" if lang != "en" else rng.choice(LANGUAGES)
                titles.append((vocab.render(indexes, other, subtitle_at), other, "translated"))
        authors = [
            vocab.person()
            for _ in range(rng.choices((1, 2, 3, 4, 6, 9), (20, 25, 25, 15, 10, 5))[0])
        ]
        kind = rng.choices(("publication", "dataset", "software"), weights=(90, 7, 3))[0]
        doi = (
            f"10.{rng.randrange(1000, 99999)}/{rng.getrandbits(40):x}"
            if rng.random() < 0.5
            else None
        )
        venue = vocab.render(vocab.title_indexes(2), "en", None) + rng.choice(
            (" Journal", " Conference", "")
        )
        return Work(
            self.work_count,
            titles,
            subtitle_free,
            authors,
            rng.randrange(1990, 2025),
            kind,
            doi,
            venue,
        )

    def _sibling(self, previous: Work) -> Work:
        """A work that looks like ``previous``: its next part, or its title by other people."""
        rng = self.rng
        text, lang, _ = previous.titles[0]
        if rng.random() < 0.5:
            part = rng.randrange(2, 9)
            numbered = rng.choice(
                (f"{text}, part {part}", f"{text} {'I' * min(part, 3)}I", f"{text} ({part})")
            )
            return Work(
                self.work_count,
                [(numbered, lang, "main")],
                text,
                previous.authors,
                previous.year + rng.choice((0, 1)),
                previous.kind,
                None,
                previous.venue,
            )
        authors = [self.vocab.person() for _ in previous.authors]
        return Work(
            self.work_count,
            [previous.titles[0]],
            None,
            authors,
            rng.randrange(1990, 2025),
            previous.kind,
            None,
            previous.venue,
        )

    def _record(self, work: Work, rid: str, *, pristine: bool) -> DedupRecord:
        rng = self.rng
        return DedupRecord.create(
            rid,
            titles=work.titles if pristine else self._titles(work),
            authors=work_authors(work.authors) if pristine else self._authors(work.authors),
            year=None
            if not pristine and rng.random() < 0.05
            else (work.year + (rng.choice((-1, 1)) if not pristine and rng.random() < 0.1 else 0)),
            kind=None if rng.random() < 0.2 else work.kind,
            pids=self._pids(work) if pristine or rng.random() < 0.6 else (),
            venue=work.venue if rng.random() < 0.5 else None,
        )

    def _titles(self, work: Work) -> list[TitleText]:
        rng = self.rng
        main, lang, kind = work.titles[0]
        if len(work.titles) > 1 and rng.random() < 0.3:
            return [work.titles[1]]  # only the translation
        if work.subtitle_free and rng.random() < 0.15:
            main = work.subtitle_free
        main = _noisy(rng, main)
        titles = [(main, lang, kind)]
        if len(work.titles) > 1 and rng.random() < 0.5:
            titles.append(work.titles[1])
        return titles

    def _authors(self, authors: list[tuple[str, str]]) -> list[str]:
        rng = self.rng
        if rng.random() < 0.05:
            return []
        people = list(authors)
        if len(people) > 2 and rng.random() < 0.1:
            people.pop()
        if rng.random() < 0.2:
            rng.shuffle(people)
        initials = rng.random() < 0.4
        inverted = rng.random() < 0.5
        out = []
        for family, given in people:
            if rng.random() < 0.03:
                family = _typo(rng, family)
            if initials:
                given = " ".join(f"{g[0]}." for g in given.split())
            out.append(f"{family}, {given}" if inverted else f"{given} {family}")
        return out

    def _pids(self, work: Work) -> list[str]:
        if not work.doi:
            return []
        return [
            self.rng.choice((work.doi, f"https://doi.org/{work.doi.upper()}", f"doi:{work.doi}"))
        ]


def work_authors(authors: list[tuple[str, str]]) -> list[str]:
    return [f"{family}, {given}" for family, given in authors]


def _noisy(rng: random.Random, title: str) -> str:
    roll = rng.random()
    if roll < 0.2:
        title = _typo(rng, title)
        if rng.random() < 0.3:
            title = _typo(rng, title)
    elif roll < 0.4:
        title = title.upper() if rng.random() < 0.3 else title.lower()
    elif roll < 0.5:
        title = title.replace(":", " -").rstrip(".") + "."
    elif roll < 0.6:
        title = title.translate(str.maketrans("áéíóúãõçêâàüöäñ", "aeiouaoceaauoan"))
    return title


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    action = rng.random()
    if action < 0.4:
        return text[:i] + rng.choice("abcdefghilmnoprstu") + text[i + 1 :]
    if action < 0.7:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


# --- measuring ------------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Figures:
    size: int
    seconds: float
    cpu_seconds: float
    index_seconds: float
    compare_seconds: float
    cluster_seconds: float
    compared: int
    completeness: float
    precision: float
    recall: float
    f1: float
    held: int
    peak_mib: float


def measure(data: Synthetic) -> Figures:
    gold = data.gold_pairs()
    gc.collect()
    started = time.perf_counter()
    cpu_started = time.process_time()
    stamps: dict[str, float] = {}
    run = deduplicate(
        data.records, stages=lambda name: stamps.setdefault(name, time.perf_counter())
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    joined = {
        _pair(a, b)
        for members in run.clustering.clusters
        for a, b in itertools.combinations(members, 2)
    }
    index = run.index
    blocked = sum(1 for a, b in gold if b in index.candidates(index.get(a)))
    tp = len(joined & gold)
    precision = tp / len(joined) if joined else 0.0
    recall = tp / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    indexed, compared = stamps.get("indexed", started), stamps.get("compared", started)
    return Figures(
        size=len(data.records),
        seconds=elapsed,
        cpu_seconds=cpu,
        index_seconds=indexed - started,
        compare_seconds=compared - indexed,
        cluster_seconds=started + elapsed - compared,
        compared=run.compared,
        completeness=blocked / len(gold) if gold else 1.0,
        precision=precision,
        recall=recall,
        f1=f1,
        held=len(run.clustering.held),
        peak_mib=peak_rss_mib(),
    )


def report(figures: Figures, previous: Figures | None) -> None:
    f = figures
    print(
        f"{f.size:>9,} records: {f.seconds:7.1f}s, CPU {f.cpu_seconds:.1f}s "
        f"({f.size / f.seconds:,.0f} records/s; "
        f"index {f.index_seconds:.1f}s, compare {f.compare_seconds:.1f}s, "
        f"cluster {f.cluster_seconds:.1f}s), pairs compared {f.compared:,} "
        f"({f.compared / f.size:.1f} per record)"
    )
    print(
        f"           pair completeness {f.completeness:.4f}, precision {f.precision:.4f}, "
        f"recall {f.recall:.4f}, F1 {f.f1:.4f}, held clusters {f.held}, "
        f"peak RSS {f.peak_mib:,.0f} MiB"
    )
    if previous is not None:
        size_ratio = f.size / previous.size
        time_ratio = f.seconds / previous.seconds
        cpu_ratio = f.cpu_seconds / previous.cpu_seconds
        print(
            f"           size x{size_ratio:.1f} -> time x{time_ratio:.2f}, CPU x{cpu_ratio:.2f} "
            f"(linear would be x{size_ratio:.1f}; exponent {_exponent(size_ratio, time_ratio):.2f},"
            f" CPU {_exponent(size_ratio, cpu_ratio):.2f})"
        )


def _exponent(size_ratio: float, time_ratio: float) -> float:
    """The k in time ~ size**k between two runs (1 is linear)."""
    return math.log(time_ratio) / math.log(size_ratio)


# --- blocking study -------------------------------------------------------------------------------

KeyFunction = Callable[[DedupRecord], Iterable[str]]


def _words(record: DedupRecord) -> Iterator[tuple[str, ...]]:
    for title in record.features.titles:
        if not title.is_part and title.keys:
            yield title.keys


def openaire_chain(record: DedupRecord) -> Iterator[str]:
    """OpenAIRE's "stats and suffix prefix" title key (Graph docs, clustering functions):
    number of words, their letters modulo 10, then prefix(3)/suffix(3) alternated over the
    first three words, and the reverse alternation; plus the PIDs."""
    yield from (f"pid:{p}" for p in record.features.pid_keys)
    for words in _words(record):
        first = words[:3]
        stats = f"{len(words)}-{sum(len(w) for w in words) % 10}-"
        yield stats + "".join(w[:3] if i % 2 == 0 else w[-3:] for i, w in enumerate(first))
        yield stats + "".join(w[-3:] if i % 2 == 0 else w[:3] for i, w in enumerate(first))


def minhash_lsh(bands: int, rows: int) -> KeyFunction:
    """MinHash over the set of title key words, ``bands`` bands of ``rows`` hashes each."""
    rng = random.Random(7)
    prime = (1 << 61) - 1
    hashes = [(rng.randrange(1, prime), rng.randrange(prime)) for _ in range(bands * rows)]

    def keys(record: DedupRecord) -> Iterator[str]:
        yield from (f"pid:{p}" for p in record.features.pid_keys)
        for words in _words(record):
            values = [zlib.crc32(w.encode()) for w in set(words)]
            signature = [min((a * v + b) % prime for v in values) for a, b in hashes]
            for band in range(bands):
                yield f"{band}:" + ",".join(map(str, signature[band * rows : (band + 1) * rows]))

    return keys


def engine_keys(record: DedupRecord) -> Iterable[str]:
    return block_keys(record)


def key_blocking(records: list[DedupRecord], keys: KeyFunction, cap: int) -> set[tuple[str, str]]:
    """Candidate pairs of a key scheme, blocks over ``cap`` dropped (for a like-for-like cost)."""
    blocks: dict[str, list[str]] = {}
    for record in records:
        for key in set(keys(record)):
            blocks.setdefault(key, []).append(record.id)
    pairs = set()
    for members in blocks.values():
        if 1 < len(members) <= cap:
            pairs.update(_pair(a, b) for a, b in itertools.combinations(members, 2))
    return pairs


def sorted_neighbourhood(records: list[DedupRecord], window: int) -> set[tuple[str, str]]:
    """Two passes: records sorted by title words, then by the words reversed."""
    pairs: set[tuple[str, str]] = set()
    for reverse in (False, True):
        entries = sorted(
            (" ".join(reversed(words) if reverse else words), record.id)
            for record in records
            for words in _words(record)
        )
        for i, (_, a) in enumerate(entries):
            for _, b in entries[i + 1 : i + window]:
                if a != b:
                    pairs.add(_pair(a, b))
    return pairs


def blocking_study(records: list[DedupRecord], gold: set[tuple[str, str]], label: str) -> None:
    print(f"blocking study on {label}: {len(records):,} records, {len(gold):,} duplicate pairs")
    for record in records:  # normalise once, outside the timings
        _ = record.features
    schemes: list[tuple[str, Callable[[], set[tuple[str, str]]]]] = [
        ("engine: word-prefix combinations, capped index", lambda: _engine_pairs(records)),
        (
            "openaire prefix/suffix chain, cap 200",
            lambda: key_blocking(records, openaire_chain, 200),
        ),
        (
            "minhash lsh 10 bands x 2 rows, cap 200",
            lambda: key_blocking(records, minhash_lsh(10, 2), 200),
        ),
        (
            "minhash lsh 20 bands x 3 rows, cap 200",
            lambda: key_blocking(records, minhash_lsh(20, 3), 200),
        ),
        ("sorted neighbourhood, 2 passes, window 10", lambda: sorted_neighbourhood(records, 10)),
    ]
    for name, build in schemes:
        started = time.perf_counter()
        pairs = build()
        seconds = time.perf_counter() - started
        found = len(gold & pairs)
        print(
            f"  {name:<55} completeness {found / max(1, len(gold)):.4f}  "
            f"pairs {len(pairs):>11,} ({len(pairs) / len(records):6.1f}/record)  {seconds:6.1f}s"
        )


def _engine_pairs(records: list[DedupRecord]) -> set[tuple[str, str]]:
    index = Index()
    index.add_all(records)
    return {_pair(a, b) for a, b in index.pairs()}


def _magellan(directory: Path) -> tuple[list[DedupRecord], set[tuple[str, str]]]:
    from bench.dedup_eval import load

    bench = load(directory)
    records = list(bench.left.values())
    if not bench.self_join:
        records += list(bench.right.values())
    return records, bench.positives()


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="record counts, comma-separated (default %(default)s)",
    )
    parser.add_argument("--smoke", action="store_true", help=f"one run of {SMOKE_SIZE:,} records")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--blocking-study",
        action="store_true",
        help="compare blocking schemes instead of running the engine",
    )
    parser.add_argument("--magellan", type=Path, help="with --blocking-study: a benchmark dir too")
    args = parser.parse_args(argv)
    sizes = [SMOKE_SIZE] if args.smoke else [int(s) for s in args.sizes.split(",") if s]

    if args.blocking_study:
        if args.magellan:
            blocking_study(*_magellan(args.magellan), label=str(args.magellan))
        for size in sizes:
            data = Generator(args.seed).generate(size)
            blocking_study(data.records, data.gold_pairs(), label=f"synthetic {size:,}")
        return 0

    previous: Figures | None = None
    for size in sizes:
        started = time.perf_counter()
        data = Generator(args.seed).generate(size)
        print(
            f"generated {size:,} records in {time.perf_counter() - started:.1f}s "
            f"({len(data.gold_pairs()):,} duplicate pairs)"
        )
        figures = measure(data)
        report(figures, previous)
        previous = figures
        del data
        gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
