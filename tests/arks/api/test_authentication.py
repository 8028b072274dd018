"""``Authorization: Token <key>``: who is let in, and the key's last use noted sparingly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arks import services
from arks.models import ApiKey, Ark

WRITES = [
    ("POST", "arks", {"shoulder": "ark:99999/fk4"}),
    ("POST", "arks/bulk", {"shoulder": "ark:99999/fk4", "count": 2}),
    ("PATCH", "arks/ark:99999/fk4000q", {"target": "https://example.org/"}),
    ("DELETE", "arks/ark:99999/fk4000q?reason=gone", None),
]
READS = ["arks", "arks/ark:99999/fk4000q", "arks/ark:99999/fk4000q/history", "shoulders"]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_no_request_without_a_key_can_write(world, method, path, body):
    world.a.api.mint()  # ark:99999/fk4000q exists
    before = Ark.objects.count()
    answer = world.anonymous.call(method, path, body)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("Token")
    assert answer.error["field"] == "Authorization"
    assert answer.error["code"] == "not_authenticated"
    assert "Token <key>" in answer.error["message"]
    assert Ark.objects.count() == before
    assert Ark.objects.get(key="ark:99999/fk4000q").state == "reserved"


@pytest.mark.parametrize("path", READS)
def test_reading_arks_and_shoulders_needs_a_key(world, path):
    world.a.api.mint()
    assert world.anonymous.get(path).status == 401


def test_the_naan_list_is_public(world):
    answer = world.anonymous.get("naans")
    assert answer.status == 200
    assert [n["naan"] for n in answer.body["results"]] == ["12345", "99999"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer abc.def", "bad_scheme"),
        ("Basic dXNlcjpwYXNz", "bad_scheme"),
        ("Token", "malformed_key"),
        ("Token not-a-key", "malformed_key"),
        ("Token abc.def\x01", "malformed_key"),
        ("Token " + "a" * 5000, "malformed_key"),
        ("Token abcdefgh.0123456789abcdefghijklmnopqrstuv", "invalid_key"),
    ],
)
def test_malformed_or_unknown_keys_are_refused(world, header, code):
    answer = world.anonymous.post(
        "arks", {"shoulder": "ark:99999/fk4"}, headers={"Authorization": header}
    )
    assert answer.status == 401
    assert answer.error == {**answer.error, "code": code, "field": "Authorization"}
    assert Ark.objects.count() == 0


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(world):
    prefix = world.a.key.partition(".")[0]
    answer = world.a.api.mint(key=f"{prefix}.{'x' * 32}")
    assert answer.status == 401
    assert answer.error["code"] == "invalid_key"


def test_revoked_keys_are_refused(world):
    services.revoke_api_key(api_key=world.a.api_key)
    answer = world.a.api.mint()
    assert answer.status == 401
    assert answer.error["code"] == "invalid_key"
    assert "revoked" in answer.error["message"]
    assert world.a.api.get("naans").status == 401  # a bad key is refused even where none is needed


def test_expired_keys_are_refused(world):
    ApiKey.objects.filter(pk=world.a.api_key.pk).update(
        expiry_date=timezone.now() - timedelta(minutes=1)
    )
    answer = world.a.api.get("shoulders")
    assert answer.status == 401
    assert answer.error["code"] == "expired_key"


def test_keys_that_expire_later_still_work(world):
    ApiKey.objects.filter(pk=world.a.api_key.pk).update(
        expiry_date=timezone.now() + timedelta(days=1)
    )
    assert world.a.api.get("shoulders").status == 200


def test_the_scheme_is_case_insensitive(world):
    answer = world.anonymous.get("shoulders", headers={"Authorization": f"token {world.a.key}"})
    assert answer.status == 200


def test_last_use_is_written_at_most_once_a_minute(world, django_assert_max_num_queries):
    api_key = world.a.api_key
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is None
    world.a.api.get("shoulders")
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    assert first is not None
    world.a.api.get("shoulders")
    world.a.api.get("shoulders")
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first

    long_ago = timezone.now() - timedelta(minutes=2)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=long_ago)
    world.a.api.get("shoulders")
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > long_ago


def test_a_request_within_the_minute_writes_nothing_for_the_key(world, django_assert_num_queries):
    world.a.api.get("naans")  # the key's use is noted now
    # The key (with its organisation), its rate counter and the NAANs: no UPDATE of the key.
    with django_assert_num_queries(3) as queries:
        assert world.a.api.get("naans").status == 200
    assert not any(
        "arks_apikey" in q["sql"] and "UPDATE" in q["sql"] for q in queries.captured_queries
    )


def test_history_names_the_key_that_made_each_change(world):
    ark = world.a.api.mint().body["ark"]
    events = world.a.api.get(f"arks/{ark}/history").body["events"]
    prefix = world.a.key.partition(".")[0]
    assert events[0]["actor"] == f"Institution A (API key {prefix})"
