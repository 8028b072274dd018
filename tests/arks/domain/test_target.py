"""Targets (arks.domain.target): what is refused, with what message, and the one form stored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arks.domain.target import BadTarget, normalise_target

# Invisible characters that change how a URL reads (bidirectional controls) or hide in it.
INVISIBLE = ["\u202e", "\u202a", "\u2066", "\u200e", "\u200b", "\u200c", "\u200d", "\u2060",
             "\ufeff", "\u00ad", "\u061c"]  # fmt: skip
# Where a character can sit: host, path, query, fragment.
PLACES = ["https://exa{}mple.org/a", "https://example.org/a{}b", "https://example.org/a?q={}",
          "https://example.org/a#x{}"]  # fmt: skip


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_characters_are_refused_in_any_part(place, char):
    with pytest.raises(BadTarget, match=f"invisible formatting character, U\\+{ord(char):04X}"):
        normalise_target(place.format(char))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org:65536/", "port must be a number from 0 to 65535"),
        ("https://example.org:99999/", "port must be a number"),
        ("https://example.org:8x/", "port must be a number"),
        ("https://example.org:-1/", "port must be a number"),
        ("https://exämple.org:70000/", "port must be a number"),
        ("https://example.org/%zz", "malformed percent-escape"),
        ("https://example.org/%", "malformed percent-escape"),
        ("https://example.org/a%4", "malformed percent-escape"),
        ("https://example.org/?q=%g0", "malformed percent-escape"),
        ("https://example.org/#%", "malformed percent-escape"),
        ("https://user:pw@example.org/", "credentials"),
        ("https://user@example.org/", "credentials"),
        ("https://:pw@example.org/", "credentials"),
        ("ftp://example.org/", "absolute http or https"),
        ("javascript:alert(1)", "absolute http or https"),
        ("mailto:someone@example.org", "absolute http or https"),
        ("//example.org/", "absolute http or https"),
        ("https:example.org", "no host"),
        ("http:///x", "no host"),
        ("https://ex%41mple.org/", "host must not contain percent-escapes"),
        ("https://[::zz]/", "host is not a valid host name or IP address"),
        ("http://[oops/", "host is not a valid host name or IP address"),
        ("https://xn--zz.example/", "not a valid internationalised domain name"),
        ("https://b\u00fccher-.example/", "not a valid internationalised domain name"),
        ("https://example.org/a[b]", "path has a character that is not allowed"),
        ("https://example.org/a b", "whitespace"),
    ],
)
def test_what_is_wrong_is_said(url, problem):
    with pytest.raises(BadTarget, match=problem):
        normalise_target(url)


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        (
            "https://BÜCHER.example/Straße?x=ä#ü",
            "https://xn--bcher-kva.example/Stra%C3%9Fe?x=%C3%A4#%C3%BC",
        ),
        ("https://bücher\u3002example:8080/p", "https://xn--bcher-kva.example:8080/p"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),  # IDNA 2008: ß is kept, not "ss"
        ("https://example.org/item?a=|{x}^", "https://example.org/item?a=%7C%7Bx%7D%5E"),
        ("HTTPS://Example.org/Item/1", "https://Example.org/Item/1"),
        ("https://example.org/%E2%80%8C", "https://example.org/%E2%80%8C"),  # escaped: visible
        ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("https://example.org:65535/a%2Fb?x=1&y=%41#top", None),
    ],
)
def test_the_stored_form(url, stored):
    assert normalise_target(url) == (url if stored is None else stored)


_SAFE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/", max_size=30)


@given(path=_SAFE, query=_SAFE, char=st.sampled_from(INVISIBLE), where=st.integers(0, 60))
def test_an_invisible_character_anywhere_is_refused(path, query, char, where):
    url = f"https://example.org/{path}?{query}"
    at = len("https://") + where % (len(url) - len("https://"))
    with pytest.raises(BadTarget, match="invisible"):
        normalise_target(url[:at] + char + url[at:])


@given(port=st.integers(65536, 10**12))
def test_ports_beyond_65535_are_refused(port):
    with pytest.raises(BadTarget, match="port"):
        normalise_target(f"https://example.org:{port}/")


@given(st.text(max_size=60).map(lambda tail: "https://example.org/" + tail))
def test_what_is_stored_is_ascii_and_stored_again_unchanged(url):
    try:
        stored = normalise_target(url)
    except BadTarget:
        return
    assert stored.isascii()
    assert normalise_target(stored) == stored
