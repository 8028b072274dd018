"""The quality gate's decision, without a database."""

from __future__ import annotations

import pytest

from aggregation.quality import decide

BASE = {"max_withdrawal_percent": 10, "min_listed_percent": 50}


@pytest.mark.parametrize(
    ("withdrawals", "live", "hold"),
    [(0, 0, False), (0, 100, False), (10, 100, False), (11, 100, True), (1, 1, True)],
)
def test_withdrawals_above_the_share_hold_the_run(withdrawals, live, hold):
    decision = decide(withdrawals=withdrawals, live=live, listed=live - withdrawals,
                      last_full_listed=None, **BASE)  # fmt: skip
    assert decision.hold is hold


def test_listing_far_fewer_than_the_last_full_run_holds_it():
    decision = decide(withdrawals=0, live=1000, listed=499, last_full_listed=1000, **BASE)
    assert decision.hold
    assert decision.reasons == (
        "listed 499 records, fewer than 50% of the 1,000 the last full harvest listed",
    )
    assert not decide(withdrawals=0, live=1000, listed=500, last_full_listed=1000, **BASE).hold


def test_both_reasons_are_given_and_the_figures_kept():
    decision = decide(withdrawals=600, live=1000, listed=400, last_full_listed=1000, **BASE)
    assert len(decision.reasons) == 2
    assert decision.as_dict()["withdrawals"] == 600
    first = decision.as_dict()["reasons"][0]
    assert first == "would withdraw 600 of 1,000 records (60.0%, more than 10%)"


def test_a_source_may_accept_every_withdrawal():
    decision = decide(withdrawals=90, live=100, listed=10, last_full_listed=None,
                      max_withdrawal_percent=100, min_listed_percent=50)  # fmt: skip
    assert not decision.hold
