"""Targets through every path that stores one (API create, bulk, update; the mint command):
refused with ``invalid_target`` saying what is wrong, or stored in one form (punycode hosts)
that the resolver redirects to."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from arks.models import Ark

BAD = [
    ("https://example.org:65536/", "port"),
    ("https://example.org:http/", "port"),
    ("https://example.org/%zz", "percent-escape"),
    ("https://example.org/50%", "percent-escape"),
    ("https://exa\u202emple.org/", "U+202E"),
    ("https://example.org/\u200bx", "U+200B"),
    ("https://example.org/?q=\ufeff", "U+FEFF"),
    ("https://example.org/#\u202e", "U+202E"),
    ("https://user:pw@example.org/", "credentials"),
    ("ftp://example.org/", "absolute http or https"),
    ("https://xn--zz.example/", "internationalised domain name"),
]


@pytest.mark.parametrize(("target", "problem"), BAD)
def test_a_bad_target_is_refused_when_minting(world, target, problem):
    answer = world.a.api.mint(target=target)
    assert answer.status == 400, answer.body
    assert answer.error["code"] == "invalid_target"
    assert answer.error["field"] == "target"
    assert problem in answer.error["message"]
    assert not Ark.objects.exists()


@pytest.mark.parametrize(("target", "problem"), BAD)
def test_a_bad_target_is_refused_in_bulk_and_on_update(world, target, problem):
    items = [{"target": "https://example.org/fine"}, {"target": target}]
    bulk = world.a.api.post("arks/bulk", {"shoulder": "ark:99999/fk4", "items": items})
    assert bulk.status == 400, bulk.body
    assert (bulk.error["code"], bulk.error["field"]) == ("invalid_target", "items[1].target")
    assert problem in bulk.error["message"]
    ark = world.a.api.mint(target="https://example.org/").body["ark"]
    update = world.a.api.patch(f"arks/{ark}", {"target": target})
    assert update.status == 400, update.body
    assert (update.error["code"], update.error["field"]) == ("invalid_target", "target")
    assert Ark.objects.get(ark=ark).target == "https://example.org/"


def test_an_internationalised_host_is_stored_and_redirected_to_as_punycode(world, client):
    answer = world.a.api.mint(target="https://bücher.example/")
    assert answer.status == 201, answer.body
    assert answer.body["target"] == "https://xn--bcher-kva.example/"
    ark = Ark.objects.get(ark=answer.body["ark"])
    assert ark.target == "https://xn--bcher-kva.example/"
    resolved = client.get(f"/{ark.ark}")
    assert resolved.status_code == 302
    assert resolved["Location"] == "https://xn--bcher-kva.example/"
    changed = world.a.api.patch(f"arks/{ark.ark}", {"target": "https://bücher.example/neu/ä"})
    assert changed.body["target"] == "https://xn--bcher-kva.example/neu/%C3%A4"


def test_the_mint_command_checks_and_stores_targets_alike(world):
    out = StringIO()
    call_command("mint", "ark:99999/fk4", "--target", "https://bücher.example/", stdout=out)
    assert Ark.objects.get(ark=out.getvalue().strip()).target == "https://xn--bcher-kva.example/"
    with pytest.raises(CommandError, match="port"):
        call_command("mint", "ark:99999/fk4", "--target", "https://example.org:99999/")
