"""ARKs are never deleted and their history is append-only, whoever tries."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from arks import services
from arks.errors import ArkDeletionForbidden
from arks.models import Ark, ArkEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ark() -> Ark:
    return services.mint(shoulder=factories.shoulder(), actor="test")[0]


def test_an_ark_cannot_be_deleted_through_the_orm(ark):
    with pytest.raises(ArkDeletionForbidden):
        ark.delete()
    with pytest.raises(ArkDeletionForbidden):
        Ark.objects.all().delete()
    with pytest.raises(ArkDeletionForbidden):
        Ark.objects.filter(pk=ark.pk).delete()
    assert Ark.objects.filter(pk=ark.pk).exists()


def test_what_an_ark_depends_on_cannot_be_deleted_under_it(ark):
    for owner in (ark.shoulder, ark.shoulder.naan, ark.owner):
        with pytest.raises(ProtectedError), transaction.atomic():
            owner.delete()
    assert Ark.objects.filter(pk=ark.pk).exists()


def test_a_survivor_cannot_be_deleted_from_under_its_aliases(ark):
    (other,) = services.mint(shoulder=ark.shoulder, actor="test")
    services.merge(ark=other, into=ark, actor="test")
    with pytest.raises(ArkDeletionForbidden):
        Ark.objects.filter(pk=ark.pk).delete()


def test_history_is_append_only(ark):
    event = ark.events.get()
    event.actor = "someone else"
    with pytest.raises(ArkDeletionForbidden):
        event.save()
    with pytest.raises(ArkDeletionForbidden):
        event.delete()


def test_the_database_itself_refuses_deletes_and_history_rewrites(ark, postgresql_only):
    for sql in (
        "DELETE FROM arks_ark WHERE id = %s",
        "UPDATE arks_arkevent SET actor = 'x' WHERE ark_id = %s",
        "DELETE FROM arks_arkevent WHERE ark_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [ark.pk])
    assert Ark.objects.filter(pk=ark.pk).exists()
    assert ArkEvent.objects.filter(ark=ark).count() == 1
