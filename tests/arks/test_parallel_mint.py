"""Minting from several processes at once never hands out one name twice.

Runs on whatever database the suite runs on; CI runs it on PostgreSQL, where the counter is a
row lock taken by an UPDATE, and the embedded default on SQLite, where it is the database lock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from arks.models import Ark, ArkEvent
from tests import factories, support

CLIENT = Path(__file__).with_name("mint_client.py")
PROCESSES, SINGLES, BATCHES, BATCH_SIZE = 4, 60, 4, 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("template", ["zeedk", "reeddk"])
def test_mint_never_repeats_under_parallel_processes(template):
    shoulder = factories.shoulder("b9", template=template)
    env = support.child_env(PYTHONPATH=str(support.ROOT))
    cmd = [sys.executable, str(CLIENT), str(shoulder), str(SINGLES), str(BATCHES), str(BATCH_SIZE)]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * PROCESSES, [err for _, err in outputs]

    minted = [line for out, _ in outputs for line in out.split()]
    expected = PROCESSES * (SINGLES + BATCHES * BATCH_SIZE)
    assert len(minted) == expected
    assert len(set(minted)) == expected, "a name was handed out twice"
    shoulder.refresh_from_db()
    assert shoulder.counter == expected
    assert Ark.objects.filter(shoulder=shoulder).count() == expected
    assert set(Ark.objects.filter(shoulder=shoulder).values_list("ark", flat=True)) == set(minted)
    assert ArkEvent.objects.filter(ark__shoulder=shoulder, action="mint").count() == expected
