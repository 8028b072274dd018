"""Every entry point stops on a missing or malformed variable with one line naming it, and a
second `make run` says how to get the secrets that the first one showed once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import ROOT, child_env, manage

ENTRY_POINTS = {
    "manage.py": manage("check"),
    "celery": [sys.executable, "-m", "celery", "-A", "pidsvc", "worker", "--pool=solo"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "pidsvc.wsgi", "--bind", "127.0.0.1:0"],
}


def run_with(cmd: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    """``cmd`` with only a minimal environment and ``variables``, as a new user's shell has it."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        cmd,
        env={**base, **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({}, "SECRET_KEY must be set"),
        ({"DEBUG": "flase", "SECRET_KEY": "k"}, "DEBUG='flase' is not a boolean"),
        ({"DEBUG": "true", "PIDSVC_BIND": "unix:/run/pidsvc.sock"}, "set PIDSVC_PUBLIC_URL"),
    ],
)
def test_a_configuration_error_is_one_line_naming_the_variable(entry_point, variables, named):
    proc = run_with(ENTRY_POINTS[entry_point], **variables)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert named in lines[0]
    assert lines[0].startswith("pidsvc: ")


@pytest.mark.django_db(transaction=True)
def test_a_second_setup_demo_says_how_to_get_a_new_password_and_key():
    def setup_demo() -> str:
        proc = subprocess.run(
            manage("setup_demo"),
            env=child_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return proc.stdout

    first = setup_demo()
    secrets = [line.split(":", 1)[1].strip() for line in first.splitlines()
               if line.strip().startswith(("password:", "API key:"))]  # fmt: skip
    assert len(secrets) == 2, first
    second = setup_demo()
    assert "demo set-up skipped" in second
    assert not any(secret in second for secret in secrets)  # shown once, never again
    assert "manage.py changepassword admin" in second
    assert 'manage.py create_api_key --org "Demo Institution"' in second


def test_manage_py_checks_the_settings_that_settings_option_names():
    # tests.settings supplies a SECRET_KEY: the check must load it, not pidsvc.settings.
    proc = run_with(manage("check", "--settings=tests.settings"))
    assert proc.returncode == 0, proc.stderr
    assert "System check identified no issues" in proc.stdout
