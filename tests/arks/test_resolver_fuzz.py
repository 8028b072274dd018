"""Generated junk thrown at the parser and the resolver views: nothing but a clear 4xx or a normal
answer ever comes back, never an exception or a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from arks import services
from arks.domain.ark import InvalidArk, parse
from tests import factories

ARK_PIECES = st.sampled_from(
    [*"ark:/%.-?#=~*+@_$ 09bcdfxzAKX\x00\x7f\n\té\u2010", "%2E", "%3A", "%0", "%zz", ".."]
)
ARKISH = st.lists(ARK_PIECES, max_size=40).map("".join)
JUNK = st.one_of(ARKISH, st.text(max_size=300))


@given(text=JUNK)
def test_parser_raises_only_invalid_ark(text):
    try:
        parse("ark:" + text)
    except InvalidArk as exc:
        assert str(exc)


def seed() -> None:
    shoulder = factories.shoulder("b8", naan_code="99999")
    data = services.ArkData(target="https://example.org/t", state="public")
    services.mint(shoulder=shoulder, actor="fuzz", data=data, count=3)


ACCEPTS = st.sampled_from(["*/*", "application/json", "text/plain", "application/ld+json", "x/y"])


@pytest.mark.django_db
def test_resolver_answers_junk_without_a_server_error():
    seed()  # inside the test's transaction: every example sees it, nothing outlives the test

    @settings(max_examples=150)
    @given(tail=JUNK, query=st.one_of(st.none(), JUNK), accept=ACCEPTS)
    def check(tail: str, query: str | None, accept: str) -> None:
        raw = "/ark:" + tail + ("" if query is None else "?" + query)
        response = Client(raise_request_exception=True).get(
            "/ark:99999/b8", RAW_URI=raw, headers={"accept": accept}
        )
        assert response.status_code in (200, 301, 302, 303, 307, 308, 400, 404, 410)
        location = response.get("Location", "")
        if response.status_code in (301, 302, 303, 307, 308):
            assert location.startswith(("http://", "https://"))
        assert "\n" not in location and "\r" not in location

    check()


@pytest.mark.django_db
def test_decoded_paths_from_the_development_server_are_safe_too():
    seed()

    @settings(max_examples=100)
    @given(tail=st.text(max_size=200))
    def check(tail: str) -> None:
        response = Client(raise_request_exception=True).get("/ark:" + tail.replace("?", ""))
        assert response.status_code < 500

    check()
