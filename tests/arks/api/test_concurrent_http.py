"""Several clients minting at once over HTTP, against gunicorn on the configured database
(PostgreSQL in CI): every request is answered, every ARK is distinct, and an Idempotency-Key sent
by several clients at once mints once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from arks import services
from arks.models import Ark, ArkEvent, Shoulder

CLIENTS, SINGLES, BULK_SIZE = 8, 25, 50
BULKS_AFTER = (0, SINGLES // 2)  # each client sends a bulk request after these single mints
BULKS = len(BULKS_AFTER)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def post(base: str, path: str, body: dict[str, Any], key: str, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base}api/v1/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json", **headers},
    )
    try:
        with _NO_PROXY.open(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def institution(live_service):
    org = services.ensure_organization(name="Concurrent Institution")
    naan = services.register_naan(naan="99999", holder=org)
    services.delegate_shoulder(naan=naan, prefix="c4", organization=org)
    _, key = services.issue_api_key(organization=org, name="load")
    return live_service, key


@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_get_distinct_arks_and_every_answer(institution):
    base, key = institution

    def client(number: int) -> list[tuple[int, Any]]:
        answers = []
        for i in range(SINGLES):
            body = {"shoulder": "ark:99999/c4", "target": f"https://example.org/{number}/{i}",
                    "state": "public"}  # fmt: skip
            answers.append(post(base, "arks", body, key))
            if i in BULKS_AFTER:
                bulk = {"shoulder": "ark:99999/c4", "count": BULK_SIZE}
                answers.append(post(base, "arks/bulk", bulk, key))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]

    failures = [(status, body) for status, body in results if status != 201]
    assert not failures, failures[:5]
    minted = []
    for _, body in results:
        minted += [a["ark"] for a in body["arks"]] if "arks" in body else [body["ark"]]
    expected = CLIENTS * (SINGLES + BULKS * BULK_SIZE)
    assert len(minted) == expected
    assert len(set(minted)) == expected, "an ARK was handed out twice"
    shoulder = Shoulder.objects.get(prefix="c4")
    assert shoulder.counter == expected
    assert set(Ark.objects.filter(shoulder=shoulder).values_list("ark", flat=True)) == set(minted)
    assert ArkEvent.objects.filter(ark__shoulder=shoulder, action="mint").count() == expected


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_sent_by_several_clients_at_once_mints_once(institution):
    base, key = institution
    body = {"shoulder": "ark:99999/c4", "count": 20}

    def send(_: int) -> tuple[int, Any]:
        return post(base, "arks/bulk", body, key, **{"Idempotency-Key": "nightly-2024-05-01"})

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(send, range(CLIENTS)))
    assert {status for status, _ in results} == {201}, results
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert Ark.objects.filter(shoulder__prefix="c4").count() == 20
    assert Shoulder.objects.get(prefix="c4").counter == 20
