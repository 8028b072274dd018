"""The README's demo session works when pasted in order.

The shell blocks marked ``<!-- demo session … -->`` are run one after the other in one bash
process, as a user pastes them into a terminal, against the live service (gunicorn on the test
database) with the demo set-up's key; after each block its effect is checked in the database.
The README's ``http://127.0.0.1:8000`` becomes the live service's address and ``KEY=…`` the key.
"""

from __future__ import annotations

import csv
import io
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from arks.demo import create_demo_setup
from arks.models import Ark
from tests import support

README = support.ROOT / "README.md"
_BLOCK = re.compile(r"<!-- demo session[^>]*-->\n```sh\n(.*?)```", re.DOTALL)
_DONE = "__demo_session_block_done__"


def session_blocks() -> list[str]:
    return _BLOCK.findall(README.read_text())


class Shell:
    """One bash reading commands from a pipe, as a terminal's shell reads pasted lines."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, text: str, *, timeout: float = 120) -> tuple[int, str]:
        """Paste ``text``; its output and the status of its last command."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{text}\nprintf '\\n{_DONE} %s\\n' \"$?\"\n")
        self.proc.stdin.flush()
        out: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no end of block within {timeout} s; output so far:\n{''.join(out)}")
            if line is None:
                pytest.fail(f"the shell ended; its output:\n{''.join(out)}")
            if line.startswith(_DONE):
                return int(line.split()[1]), "".join(out)
            out.append(line)

    def value(self, variable: str) -> str:
        return self.run(f'printf "%s\\n" "${variable}"')[1].strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        support.stop(self.proc)


def test_the_readme_marks_the_session_blocks():
    blocks = session_blocks()
    assert len(blocks) == 6, blocks
    assert sum(bool(re.search(r"^KEY=…", b, re.MULTILINE)) for b in blocks) == 1


@pytest.mark.django_db(transaction=True)
def test_the_readme_session_works_when_pasted_in_order(live_service: str, tmp_path: Path):
    demo = create_demo_setup()
    assert demo is not None
    base = live_service.rstrip("/")
    blocks = [
        re.sub(r"^KEY=….*$", f"KEY={demo.api_key}", b, flags=re.MULTILINE).replace(
            "http://127.0.0.1:8000", base
        )
        for b in session_blocks()
    ]
    # A terminal in the repository, but files the session writes land in a directory of the
    # test's: the checkout's virtualenv and manage.py are linked in.
    (tmp_path / ".venv").symlink_to(sys.prefix)  # the virtualenv running the tests
    (tmp_path / "manage.py").symlink_to(support.ROOT / "manage.py")
    shell = Shell(tmp_path, support.child_env(PIDSVC_PUBLIC_URL=live_service))
    try:
        cli, api_mint, patch, withdraw, bulk, export = blocks

        status, out = shell.run(cli)
        assert status == 0, out
        minted = Ark.objects.filter(target="https://example.org/article")
        assert minted.count() == 3 and all(str(a) in out for a in minted), out

        status, out = shell.run(api_mint)
        ark_text = shell.value("ARK")
        assert status == 0 and ark_text.startswith("ark:99999/fk4"), out
        ark = Ark.objects.get(ark=ark_text)
        assert ark not in minted  # not one of the names the CLI took
        assert (ark.state, ark.target, ark.who) == (
            "public",
            "https://repository.example.org/item/42",
            "Doe, Jane",
        )
        assert f'"url":"{base}/{ark_text}"' in out

        status, out = shell.run(patch)
        ark.refresh_from_db()
        assert status == 0 and ark.target == "https://repository.example.org/item/42/v2", out
        assert all(a.target == "https://example.org/article" for a in minted)

        status, out = shell.run(withdraw)
        ark.refresh_from_db()
        assert status == 0 and ark.state == "unavailable", out
        assert ark.reason == "Withdrawn at the authors' request"
        assert out.strip().splitlines()[-1] == "410", out

        status, out = shell.run(bulk)
        assert status == 0, out
        assert Ark.objects.filter(state="reserved").count() == 1000, out

        status, out = shell.run(export)
        assert status == 0, out
        rows = list(csv.reader(io.StringIO((tmp_path / "arks.csv").read_text())))
        assert {row[0] for row in rows[1:]} == set(Ark.objects.values_list("ark", flat=True))
        assert ark_text in (tmp_path / "arks.txt").read_text()
    finally:
        shell.close()
