"""The quality gate: a full harvest that looks like a broken repository is held, not applied.

Seen in production elsewhere: a repository stops exposing its OAI set, or serves a truncated list
after a failed reindex, and an aggregator that believes it withdraws thousands of records (and
their ARKs become tombstones). So a full run's inferred withdrawals (records it no longer saw) are
applied only when

* they are at most ``max_withdrawal_percent`` of the source's live records (the source's own
  setting, else ``PIDSVC_HARVEST_MAX_WITHDRAWAL_PERCENT``, 10 by default), and
* the run listed at least ``PIDSVC_HARVEST_MIN_LISTED_PERCENT`` (50 by default) of the live
  records that the last successful full run listed.

Otherwise the run is held: nothing is withdrawn and the next stage does not run until an
administrator releases it (then the withdrawals are applied) or discards it. Deleted headers are
not inferred, they are the server's own word, and are stored as they come.

``decide`` is pure; the services measure and apply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GateDecision:
    hold: bool
    reasons: tuple[str, ...]
    withdrawals: int
    live: int
    listed: int
    last_full_listed: int | None
    max_withdrawal_percent: int
    min_listed_percent: int

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data


def decide(
    *,
    withdrawals: int,
    live: int,
    listed: int,
    last_full_listed: int | None,
    max_withdrawal_percent: int,
    min_listed_percent: int,
) -> GateDecision:
    """Hold or apply a full run.

    ``withdrawals``: live records the run did not list; ``live``: the source's live records
    before they are withdrawn; ``listed``: live records the run listed; ``last_full_listed``:
    the same for the last successful full run (``None`` when there is none).
    """
    reasons = []
    if withdrawals and withdrawals * 100 > max_withdrawal_percent * live:
        reasons.append(
            f"would withdraw {withdrawals:,} of {live:,} records "
            f"({withdrawals / live:.1%}, more than {max_withdrawal_percent}%)"
        )
    if last_full_listed and listed * 100 < min_listed_percent * last_full_listed:
        reasons.append(
            f"listed {listed:,} records, fewer than {min_listed_percent}% of the "
            f"{last_full_listed:,} the last full harvest listed"
        )
    return GateDecision(
        hold=bool(reasons),
        reasons=tuple(reasons),
        withdrawals=withdrawals,
        live=live,
        listed=listed,
        last_full_listed=last_full_listed,
        max_withdrawal_percent=max_withdrawal_percent,
        min_listed_percent=min_listed_percent,
    )
