"""``Idempotency-Key`` on POST: a repeated request gets the first answer and mints nothing new."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from arks import services, tasks
from arks.models import Ark, IdempotencyRecord


def with_key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def test_repeating_a_mint_returns_the_first_answer_and_mints_nothing(world):
    body = {"shoulder": "ark:99999/fk4", "target": "https://example.org/", "state": "public"}
    first = world.a.api.post("arks", body, headers=with_key("order-4711"))
    again = world.a.api.post("arks", body, headers=with_key("order-4711"))
    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Ark.objects.count() == 1


def test_the_same_body_written_differently_is_the_same_request(world):
    first = world.a.api.post(
        "arks", raw=b'{"shoulder": "ark:99999/fk4", "state": "reserved"}', headers=with_key("k1")
    )
    again = world.a.api.post(
        "arks",
        raw=b'{\n  "state":"reserved",\n  "shoulder":"ark:99999/fk4"}',
        headers=with_key("k1"),
    )
    assert again.body == first.body
    assert Ark.objects.count() == 1


def test_repeating_a_bulk_mint_returns_the_same_arks(world):
    body = {"shoulder": "ark:99999/fk4", "count": 50}
    first = world.a.api.post("arks/bulk", body, headers=with_key("batch-1"))
    again = world.a.api.post("arks/bulk", body, headers=with_key("batch-1"))
    assert again.status == 201
    assert again.body == first.body
    assert Ark.objects.count() == 50


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "arks",
            {"shoulder": "ark:99999/fk4", "target": "https://example.org/other", "state": "public"},
        ),
        ("arks/bulk", {"shoulder": "ark:99999/fk4", "count": 1}),
    ],
)
def test_a_key_reused_for_another_request_is_refused(world, path, body):
    world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key("k2"))
    answer = world.a.api.post(path, body, headers=with_key("k2"))
    assert answer.status == 422
    assert answer.error["code"] == "idempotency_key_reused"
    assert answer.error["field"] == "Idempotency-Key"
    assert Ark.objects.count() == 1


def test_keys_belong_to_one_api_key(world):
    a = world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key("same"))
    b = world.b.api.post("arks", {"shoulder": "ark:99999/fk5"}, headers=with_key("same"))
    assert (a.status, b.status) == (201, 201)
    assert a.body["ark"] != b.body["ark"]


def test_failed_requests_are_not_remembered(world):
    bad = world.a.api.post("arks", {"shoulder": "ark:99999/fk4", "target": "javascript:x",
                                    "state": "public"}, headers=with_key("k3"))  # fmt: skip
    assert bad.status == 400
    forbidden = world.a.api.post("arks", {"shoulder": "ark:99999/fk5"}, headers=with_key("k3"))
    assert forbidden.status == 403
    good = world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key("k3"))
    assert good.status == 201
    assert IdempotencyRecord.objects.count() == 1


def test_a_mint_that_fails_in_the_service_leaves_no_record(world):
    naan = world.shoulders["fk4"].naan
    services.delegate_shoulder(naan=naan, prefix="t9", organization=world.a.org, template="sd")
    body = {"shoulder": "ark:99999/t9", "count": 11}
    assert world.a.api.post("arks/bulk", body, headers=with_key("k4")).status == 409
    assert not IdempotencyRecord.objects.exists()
    assert (
        world.a.api.post("arks/bulk", {**body, "count": 10}, headers=with_key("k4")).status == 201
    )


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there", "caf\u00e9"])
def test_idempotency_keys_are_visible_ascii(world, key):
    answer = world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key(key))
    assert answer.status == 400
    assert answer.error["field"] == "Idempotency-Key"
    assert Ark.objects.count() == 0


def test_the_stored_answer_is_the_json_that_was_sent(world):
    answer = world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key("k5"))
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.method, record.path, record.status) == (
        "k5", "POST", "/api/v1/arks", 201,
    )  # fmt: skip
    assert json.loads(json.dumps(record.body)) == answer.body


def test_old_records_are_purged_on_schedule(world):
    for key in ("old", "new"):
        world.a.api.post("arks", {"shoulder": "ark:99999/fk4"}, headers=with_key(key))
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert tasks.purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    schedule = PeriodicTask.objects.get(task="arks.tasks.purge_idempotency_records")
    assert schedule.enabled
    assert (schedule.interval.every, schedule.interval.period) == (1, "hours")


def test_after_the_purge_a_key_mints_again(world):
    body = {"shoulder": "ark:99999/fk4"}
    world.a.api.post("arks", body, headers=with_key("k6"))
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    services.purge_idempotency_records()
    world.a.api.post("arks", body, headers=with_key("k6"))
    assert Ark.objects.count() == 2
