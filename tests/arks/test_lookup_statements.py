"""The resolver's lookup on PostgreSQL: its prepared statements, run through libpq, give the rows
psycopg's cursor gives, inside and outside transactions, and survive losing their statements."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from psycopg import pq

from arks import selectors, services
from arks.domain import ark as arkdomain
from arks.selectors import Hit
from tests import factories

TARGET = "https://repo.example.org/item/1"


@pytest.fixture
def arks(postgresql_only):
    shoulder = factories.shoulder("fk4")
    public = services.ArkData(target=TARGET, state="public")
    a, b = services.mint(shoulder=shoulder, actor="t", data=public, count=2)
    services.merge(ark=b, into=a, actor="t")
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


def as_hit(ark) -> Hit:
    return Hit(ark.pk, ark.key, ark.ark, ark.state, ark.target, ark.merged_into_id, ark.shoulder_id)


def lookup(text: str):
    return selectors.lookup(arkdomain.parse(text), text)


def prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pidsvc_%%'")
        return {name for (name,) in cursor.fetchall()}


def check_answers(a, b) -> None:
    assert lookup(f"/{a.ark}") == (as_hit(a), as_hit(a), "")
    assert lookup(f"/{b.ark}") == (as_hit(b), as_hit(a), "")  # merged: the survivor came along
    assert lookup(f"/{b.ark}/c3/s5.pdf") == (as_hit(b), as_hit(a), "/c3/s5.pdf")


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_statements_are_prepared_once_and_come_back(arks):
    a, b = arks
    check_answers(a, b)
    assert prepared_here() == {"pidsvc_hit_one", "pidsvc_hit_many"}
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's fresh server connection would be
    check_answers(a, b)
    assert prepared_here() == {"pidsvc_hit_one", "pidsvc_hit_many"}
    connection.close()
    check_answers(a, b)  # a new connection prepares them again


@pytest.mark.django_db(transaction=True)
def test_a_transaction_not_yet_begun_is_begun_and_a_failed_one_raises(arks):
    a, b = arks
    with transaction.atomic():
        check_answers(a, b)  # the first statement of the transaction: psycopg sends BEGIN
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
    lookup(f"/{a.ark}")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        lookup(f"/{a.ark}")  # inside a transaction a lost statement is an error, not a retry
    check_answers(a, b)


@pytest.mark.django_db
def test_inside_a_transaction_and_with_odd_keys(arks):
    a, b = arks
    check_answers(a, b)
    keys = ['ark:99999/a"b', "ark:99999/c\\d", "ark:99999/{e,f}", a.key]
    assert [row[0] for row in selectors._fetch_hit_rows(keys)] == [a.pk]
    assert selectors._fetch_hit_rows(['ark:99999/a"b']) == []
