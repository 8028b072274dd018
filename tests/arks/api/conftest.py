"""Fixtures of the API tests: a small world of organisations, NAANs, shoulders and keys, and a
client that speaks JSON with a key.

The world: the aggregator holds NAAN 99999 and delegates ``fk4`` to Institution A and ``fk5`` to
Institution B, keeping ``x7`` for itself; another holder has NAAN 12345 with ``b2`` delegated to
Institution C. Each organisation has one key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from arks import services
from arks.models import ApiKey, Organization, Shoulder
from tests import factories

UNLIMITED = {"read": "100000/min", "write": "100000/min", "anonymous": "100000/min"}


@dataclass
class Answer:
    status: int
    headers: Any
    body: Any

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.body["errors"]

    @property
    def error(self) -> dict[str, str]:
        assert len(self.errors) == 1, self.errors
        return self.errors[0]


@dataclass
class Api:
    """Requests to the API as an organisation (``key``) or anonymously (``key=None``)."""

    client: Client
    key: str | None = None
    base: str = "/api/v1/"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        key: str | None = "default",
    ) -> Answer:
        key = self.key if key == "default" else key
        extra = dict(headers or {})
        if key is not None:
            extra.setdefault("Authorization", f"Token {key}")
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if "://" in path:  # a link the API gave out (next, previous)
            parts = urlsplit(path)
            path = f"{parts.path}?{parts.query}"
        url = path if path.startswith("/") else self.base + path
        response = self.client.generic(
            method, url, data=data, content_type=content_type, headers=extra
        )
        text = response.content.decode()
        parsed = json.loads(text) if text and "json" in response.get("Content-Type", "") else text
        return Answer(response.status_code, response.headers, parsed)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("DELETE", path, body, **kw)

    def mint(
        self, shoulder: str = "ark:99999/fk4", *, key: str | None = "default", **fields: Any
    ) -> Answer:
        return self.post("arks", {"shoulder": shoulder, **fields}, key=key)


@dataclass
class Party:
    org: Organization
    key: str
    api_key: ApiKey
    api: Api


@dataclass
class World:
    aggregator: Party
    a: Party
    b: Party
    c: Party
    other_holder: Party
    shoulders: dict[str, Shoulder] = field(default_factory=dict)
    anonymous: Api | None = None


def party(name: str) -> Party:
    org = factories.organization(name)
    api_key, key = services.issue_api_key(organization=org, name=f"{name} key")
    return Party(org, key, api_key, Api(Client(), key))


@pytest.fixture(autouse=True)
def _fresh_throttle_counters(settings):
    """Counters live in the shared cache: start every test with none, and limits high enough not
    to matter (throttling tests set their own)."""
    settings.PIDSVC_API_RATES = UNLIMITED
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db) -> World:
    parties = {n: party(n) for n in ("Aggregator", "Institution A", "Institution B",
                                     "Institution C", "Other Holder")}  # fmt: skip
    naan = services.register_naan(naan="99999", holder=parties["Aggregator"].org)
    other = services.register_naan(naan="12345", holder=parties["Other Holder"].org)
    shoulders = {
        "fk4": services.delegate_shoulder(
            naan=naan, prefix="fk4", organization=parties["Institution A"].org
        ),
        "fk5": services.delegate_shoulder(
            naan=naan, prefix="fk5", organization=parties["Institution B"].org
        ),
        "x7": services.delegate_shoulder(
            naan=naan, prefix="x7", organization=parties["Aggregator"].org
        ),
        "b2": services.delegate_shoulder(
            naan=other, prefix="b2", organization=parties["Institution C"].org
        ),
    }
    return World(
        aggregator=parties["Aggregator"],
        a=parties["Institution A"],
        b=parties["Institution B"],
        c=parties["Institution C"],
        other_holder=parties["Other Holder"],
        shoulders=shoulders,
        anonymous=Api(Client()),
    )
