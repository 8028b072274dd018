"""``aggregation.owner``: telling a harvest's process that is gone from one that is alive, with
real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from aggregation import owner

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def ended_process() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_this_process_is_alive():
    assert not owner.is_gone(owner.current())


def test_a_process_that_ended_is_gone():
    me = owner.current()
    assert owner.is_gone(owner.Owner(me.host, ended_process(), ""))


@linux_only
def test_a_killed_process_not_yet_reaped_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = owner.Owner(socket.gethostname(), child.pid, owner._started(child.pid))
        assert alive.started and not owner.is_gone(alive)
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, still a zombie
        assert owner.is_gone(alive)
    finally:
        child.kill()
        child.wait()


@linux_only
def test_a_process_id_reused_by_another_process_is_gone():
    me = owner.current()
    boot_and_namespace, _, ticks = me.started.rpartition(":")
    earlier = owner.Owner(me.host, me.pid, f"{boot_and_namespace}:{int(ticks) - 1}")
    assert owner.is_gone(earlier)


@linux_only
def test_a_process_of_another_boot_or_namespace_cannot_be_judged_from_here():
    me = owner.current()
    ticks = me.started.rpartition(":")[2]
    assert not owner.is_gone(owner.Owner(me.host, ended_process(), f"other-boot:pid:[1]:{ticks}"))


def test_a_process_on_another_host_cannot_be_judged_from_here():
    assert not owner.is_gone(owner.Owner(socket.gethostname() + "-other", ended_process(), ""))
