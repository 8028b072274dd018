"""Suffix passthrough onto targets that have query strings and fragments (pure)."""

from __future__ import annotations

import pytest

from arks.domain.passthrough import passed_on


@pytest.mark.parametrize(
    ("target", "suffix", "query", "expected"),
    [
        # The suffix goes on the path; the queries are merged, the target's first.
        ("https://r.example/item/1?lang=en", "/extra", "q=1", "https://r.example/item/1/extra?lang=en&q=1"),
        ("https://r.example/item/1?lang=en", "/extra", None, "https://r.example/item/1/extra?lang=en"),
        ("https://r.example/item/1?lang=en", "", "lang=fr", "https://r.example/item/1?lang=en&lang=fr"),
        # The fragment is kept, after the query.
        ("https://r.example/doc#p2", "/c3", "x=1", "https://r.example/doc/c3?x=1#p2"),
        ("https://r.example/doc?a=1#p2", ".v7.pdf", None, "https://r.example/doc.v7.pdf?a=1#p2"),
        # Escapes are neither decoded nor re-encoded.
        ("https://r.example/a%20b?k=%2F", "/c%3Ad", "q=%26", "https://r.example/a%20b/c%3Ad?k=%2F&q=%26"),
        # A target without query: what the spec describes, unchanged.
        ("https://r.example/item", "/c3/s5.v7.xsl", "page=2", "https://r.example/item/c3/s5.v7.xsl?page=2"),
        ("https://r.example", "/c3", None, "https://r.example/c3"),
        # A bare "?" (an inflection) is passed on as it came.
        ("https://n2t.net/ark:12345/x", "", "", "https://n2t.net/ark:12345/x?"),
        ("https://n2t.net/ark:12345/x", "", "?", "https://n2t.net/ark:12345/x??"),
        # Nothing to pass on: the target exactly as stored.
        ("https://r.example/a?#", "", None, "https://r.example/a?#"),
    ],
)  # fmt: skip
def test_suffix_goes_on_the_path_and_queries_are_merged(target, suffix, query, expected):
    assert passed_on(target, suffix=suffix, query=query) == expected
