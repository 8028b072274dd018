"""Which process owns a running harvest, and whether that process still exists.

A run records the host name and process id of the process that claimed it (``manage.py
harvest``, or the Celery worker process executing the task) and, on Linux, when that process
started. The start time tells a reused process id from the owner: the kernel hands out ids again,
and a harvest killed with ``kill -9`` could otherwise be taken for alive because an unrelated
process got its id. It is the ``starttime`` field of ``/proc/PID/stat`` (clock ticks since boot,
proc(5)), qualified by the boot id (``/proc/sys/kernel/random/boot_id``: ticks restart at every
boot) and the PID namespace (``/proc/self/ns/pid``: a container's process ids are its own, and
containers sharing the network of their host also share its host name).

Only a process on this host, in this PID namespace, can be checked; a run owned elsewhere is
judged by its heartbeat (the lease), as before. Without /proc (not Linux), a process id that no
process has (signal 0, kill(2)) is the only sign.

Pure of Django.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: str  # "boot id:PID namespace:start ticks", "" where /proc cannot tell


def current() -> Owner:
    """This process."""
    pid = os.getpid()
    return Owner(host=socket.gethostname(), pid=pid, started=_started(pid))


def is_gone(owner: Owner) -> bool:
    """``True`` only when ``owner`` is known to have ended: it ran here and no process has its
    id, or the one that has it is a zombie or started at another moment."""
    if owner.host != socket.gethostname() or owner.pid <= 0:
        return False
    if not owner.started:  # recorded where /proc could not tell
        return not _exists(owner.pid)
    if _where(owner.started) != _where(_started(os.getpid())):
        return False  # another boot, or another PID namespace: its ids are not ours to check
    return _started(owner.pid) != owner.started  # "" when none (or a zombie) has the id


def _where(started: str) -> str:
    return started.rpartition(":")[0]


def _started(pid: int) -> str:
    """ "boot id:PID namespace:start ticks" of a live (not zombie) process, "" when /proc has
    none."""
    try:
        stat = PROC.joinpath(str(pid), "stat").read_text()
        boot = PROC.joinpath("sys", "kernel", "random", "boot_id").read_text().strip()
        namespace = str(PROC.joinpath("self", "ns", "pid").readlink())
    except OSError:
        return ""
    # The command name, in parentheses, may hold spaces and parentheses: fields follow the last.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # the state; starttime is the 20th after it
        return ""
    return f"{boot}:{namespace}:{fields[19]}"


def _exists(pid: int) -> bool:
    """Signal 0 checks that a process exists without touching it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
