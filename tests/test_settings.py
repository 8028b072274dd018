"""Settings come only from the environment and are parsed strictly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from pidsvc import env
from tests.support import ROOT


def settings_in_child(**variables: str) -> subprocess.CompletedProcess[str]:
    """Import the real settings module in a fresh interpreter with only these variables set."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    code = (
        "import json, pidsvc.settings as s; print(json.dumps([s.DEBUG, s.DATABASES['default']"
        "['ENGINE'], s.ALLOWED_HOSTS, s.PIDSVC_FALLBACK_RESOLVER, s.PIDSVC_PUBLIC_URL, "
        "s.CELERY_BROKER_URL]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_need_nothing_installed():
    proc = settings_in_child(DEBUG="true")
    assert proc.returncode == 0, proc.stderr
    assert '"django.db.backends.sqlite3"' in proc.stdout
    assert '"https://n2t.net/"' in proc.stdout
    assert '"filesystem://localhost/"' in proc.stdout


def test_secret_key_is_required_when_debug_is_off():
    proc = settings_in_child()
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEBUG": "flase"}, "DEBUG='flase' is not a boolean"),
        ({"DEBUG": "true", "DATABASE_URL": "mongodb://x/y"}, "DATABASE_URL is not usable"),
        ({"DEBUG": "true", "PIDSVC_FALLBACK_RESOLVER": "ftp://x/"}, "not an absolute http"),
        ({"DEBUG": "true", "DATABASE_CONN_MAX_AGE": "soon"}, "not a whole number"),
    ],
)
def test_bad_values_stop_start_up_with_the_variable_named(variables, message):
    proc = settings_in_child(SECRET_KEY="k", **variables)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_urls_and_lists_are_parsed(monkeypatch):
    monkeypatch.setenv("X_URL", "https://resolver.example.org")
    assert env.env_http_url("X_URL", "http://unused/") == "https://resolver.example.org/"
    monkeypatch.setenv("X_LIST", " a.example , ,b.example ")
    assert env.env_list("X_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_INT", "-1")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env.env_int("X_INT", 5)
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env.env_bool("X_BOOL", False) is True
