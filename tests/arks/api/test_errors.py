"""Every error is JSON of one shape that names the field and the problem; none is a 500."""

from __future__ import annotations

import pytest

from arks.models import Ark


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"shoulder": "ark:99999/fk4"', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"shoulder": "ark:99999/fk4", "metadata": {"x": NaN}}', "NaN is not JSON"),
        (b'{"shoulder": "ark:99999/fk4", "metadata": {"x": Infinity}}', "Infinity is not JSON"),
        (b'{"shoulder": "ark:99999/fk4", "metadata": {"x": 1e400}}', "too large"),
        (
            b'{"shoulder": "ark:99999/fk4", "metadata": {"x": ' + b"9" * 5000 + b"}}",
            "not valid JSON",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "too deeply"),
    ],
)
def test_bodies_that_are_not_json_are_refused(world, raw, problem):
    answer = world.a.api.post("arks", raw=raw)
    assert answer.status == 400
    assert answer.error["field"] == "body"
    assert answer.error["code"] == "malformed_body"
    assert problem in answer.error["message"]
    assert Ark.objects.count() == 0


def test_bodies_over_the_limit_are_refused(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    answer = world.a.api.post("arks", {"shoulder": "ark:99999/fk4", "metadata": {"x": "y" * 4000}})
    assert answer.status == 413
    assert answer.error == {
        "code": "too_large",
        "field": "body",
        "message": "the request body is larger than 2048 bytes",
    }


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", ""])  # fmt: skip
def test_bodies_must_be_json(world, content_type):
    answer = world.a.api.post("arks", raw=b"shoulder=ark:99999/fk4", content_type=content_type)
    assert answer.status == 415
    assert answer.error["field"] == "Content-Type"
    assert Ark.objects.count() == 0


def test_an_empty_body_is_an_empty_object(world):
    answer = world.a.api.post("arks", raw=b"")
    assert answer.status == 400
    assert answer.error["field"] == "shoulder"


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "arks"), ("DELETE", "arks"), ("GET", "arks/bulk"), ("POST", "shoulders"),
     ("PUT", "arks/ark:99999/fk4000q"), ("POST", "arks/ark:99999/fk4000q/history")],
)  # fmt: skip
def test_methods_an_endpoint_does_not_have(world, method, path):
    world.a.api.mint()
    answer = world.a.api.call(method, path, {})
    assert answer.status == 405
    assert answer.error["field"] == "method"
    assert "Allow" in answer.headers


@pytest.mark.parametrize("path", ["arks/", "shoulders/", "naans/x", "shoulders/ark:99999/fk4"])
def test_unknown_endpoints_answer_json(world, path):
    answer = world.a.api.get(path)
    assert answer.status == 404
    assert answer.error["field"] == "path"


def test_answers_are_ascii_json_whatever_was_sent(world):
    answer = world.a.api.post("arks", {"shoulder": "ark:99999/fk4", "state": "\ud800"})
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "application/json"
    ark = world.a.api.mint(metadata={"who": "Gödel, Kurt", "title": "Über formal"}).body["ark"]
    raw = world.a.api.client.get(
        f"/api/v1/arks/{ark}", headers={"Authorization": f"Token {world.a.key}"}
    ).content
    assert raw.isascii()
    assert world.a.api.get(f"arks/{ark}").body["metadata"]["who"] == "Gödel, Kurt"


def test_errors_from_several_fields_are_all_listed(world):
    answer = world.a.api.post(
        "arks", {"shoulder": 5, "state": "gone", "metadata": [], "colour": "red"}
    )
    assert answer.status == 400
    assert sorted(e["field"] for e in answer.errors) == ["colour"]  # unknown fields come first
    answer = world.a.api.post("arks", {"shoulder": 5, "state": "gone", "metadata": []})
    assert sorted(e["field"] for e in answer.errors) == ["metadata", "shoulder", "state"]
    assert all(set(e) == {"code", "field", "message"} for e in answer.errors)
