"""The identifier data: who holds which NAAN, which shoulders are delegated to whom, the ARKs and
their append-only history, and the API keys institutions mint with.

Models hold fields and constraints; writes go through ``arks.services``. What must never break is
enforced by the database: one row per ARK string, ``PROTECT`` on every reference to an ARK, and
(on PostgreSQL) triggers that refuse to delete ARKs or to rewrite their history.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey

from arks.domain.ark import BETANUMERIC
from arks.errors import ArkDeletionForbidden

betanumeric_validator = RegexValidator(
    rf"^[{BETANUMERIC}]+$",
    "Use betanumeric characters only: digits and the consonants bcdfghjkmnpqrstvwxz.",
)


class Organization(models.Model):
    """An institution: a NAAN holder, a member that shoulders are delegated to, or both."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(blank=True)
    contact_email = models.EmailField(blank=True)
    is_node = models.BooleanField(
        "this node",
        default=False,
        editable=False,
        help_text="The organisation that runs this node: it holds the shoulder of aggregated "
        "works (PIDSVC_WORKS_SHOULDER). At most one.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_node"], condition=models.Q(is_node=True), name="one_node_organization"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Naan(models.Model):
    """A Name Assigning Authority Number known to this node.

    ``served`` NAANs are resolved here; the others are forwarded to ``forward_to`` (a target
    template, see ``arks.domain.naan_registry.expand_target``) — the decentralised case where a
    NAAN is delegated to another node's resolver.
    """

    naan = models.CharField("NAAN", max_length=32, unique=True, validators=[betanumeric_validator])
    holder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="naans")
    served = models.BooleanField(
        default=True, help_text="This node resolves and mints ARKs of this NAAN."
    )
    forward_to = models.CharField(
        max_length=500,
        blank=True,
        help_text="For NAANs served elsewhere: a URL or template (${content}, ${pid}, ${value}).",
    )
    policy_statement = models.TextField(
        blank=True, help_text="The NAAN holder's commitment, shown on the NAAN's landing page."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "NAAN"
        verbose_name_plural = "NAANs"
        ordering = ["naan"]

    def __str__(self) -> str:
        return self.naan


class Shoulder(models.Model):
    """A namespace under a NAAN delegated to one organisation, minted by a NOID template."""

    naan = models.ForeignKey(Naan, on_delete=models.PROTECT, related_name="shoulders")
    prefix = models.CharField(max_length=32, validators=[betanumeric_validator])
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="shoulders"
    )
    template = models.CharField(
        max_length=64,
        default="zeedk",
        help_text="NOID mask: r, s or z, then d and e characters, optional final k (zeedk).",
    )
    counter = models.BigIntegerField(default=0, editable=False)
    is_test = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    persistence_statement = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["naan__naan", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["naan", "prefix"], name="unique_shoulder_per_naan"),
            models.CheckConstraint(condition=models.Q(counter__gte=0), name="counter_not_negative"),
        ]

    def __str__(self) -> str:
        return f"ark:{self.naan.naan}/{self.prefix}"

    @property
    def ark(self) -> str:
        return str(self)


class ArkQuerySet(models.QuerySet["Ark"]):
    def delete(self) -> NoReturn:
        raise ArkDeletionForbidden("ARKs are never deleted; withdraw them (tombstone) instead.")

    # ``update`` stays: services use it for batch writes that keep history themselves.


class Ark(models.Model):
    """One ARK, never deleted and never reassigned."""

    class State(models.TextChoices):
        RESERVED = "reserved", "reserved"
        PUBLIC = "public", "public"
        UNAVAILABLE = "unavailable", "unavailable"

    ark = models.CharField("ARK", max_length=512, unique=True, editable=False)
    # The hyphen-free normal form (ARK spec, "Normalization and Lexical Equivalence"), the key that
    # every lookup uses; ``ark`` keeps the hyphens its owner wrote, for display.
    key = models.CharField(max_length=512, unique=True, editable=False)
    naan = models.CharField("NAAN", max_length=32, editable=False)
    shoulder = models.ForeignKey(
        Shoulder, on_delete=models.PROTECT, related_name="arks", null=True, blank=True
    )
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="arks")
    state = models.CharField(max_length=12, choices=State.choices, default=State.RESERVED)
    reason = models.TextField(blank=True, help_text="Why the ARK is unavailable (tombstone).")
    target = models.CharField(max_length=2000, blank=True)
    who = models.TextField(blank=True)
    what = models.TextField(blank=True)
    when = models.TextField(blank=True)
    where = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="aliases", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ArkQuerySet.as_manager()

    class Meta:
        verbose_name = "ARK"
        verbose_name_plural = "ARKs"
        # No default ordering: an ORDER BY on every query would cost the resolver for nothing.
        indexes = [
            models.Index(fields=["shoulder", "state"], name="ark_shoulder_state"),
            models.Index(fields=["updated_at"], name="ark_updated_at"),
            models.Index(fields=["naan"], name="ark_naan"),
            models.Index(fields=["target"], name="ark_target", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="ark_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.ark

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ArkDeletionForbidden("ARKs are never deleted; withdraw them (tombstone) instead.")


class ArkEvent(models.Model):
    """Append-only history of an ARK: who did what, when, and what changed."""

    class Action(models.TextChoices):
        MINT = "mint", "minted"
        UPDATE = "update", "updated"
        STATE = "state", "state changed"
        TOMBSTONE = "tombstone", "withdrawn"
        MERGE = "merge", "merged"
        UNMERGE = "unmerge", "unmerged"

    ark = models.ForeignKey(Ark, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=16, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ark", "at"], name="arkevent_ark_at")]

    def __str__(self) -> str:
        return f"{self.ark_id} {self.action} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ArkDeletionForbidden("ARK history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ArkDeletionForbidden("ARK history is append-only.")


class ApiKey(AbstractAPIKey):
    """An organisation's API key: only a SHA-512 hash and a visible prefix are stored.

    ``djangorestframework-api-key`` generates ``prefix.secret`` keys and stores the hash; the key
    itself is shown once, when it is issued.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="api_keys"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.organization})"


class RegistryNaan(models.Model):
    """A NAAN (or NAAN shoulder) record copied from the public NAAN registry.

    It tells the resolver where to forward ARKs of NAANs that this node does not serve. Imports
    update these rows in place; local ``Naan`` rows always take precedence over them.
    """

    naan = models.CharField("NAAN", max_length=32, validators=[betanumeric_validator])
    shoulder = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=300, blank=True)
    acronym = models.CharField(max_length=100, blank=True)
    where = models.CharField(max_length=500, blank=True)
    target = models.CharField(max_length=500, blank=True)
    http_code = models.PositiveSmallIntegerField(default=302)
    registered = models.DateField(null=True, blank=True)
    org_type = models.CharField(max_length=16, blank=True)
    policy = models.CharField(max_length=200, blank=True)
    tenure = models.CharField(max_length=100, blank=True)
    policy_url = models.CharField(max_length=500, blank=True)
    test_identifier = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "registry NAAN"
        verbose_name_plural = "registry NAANs"
        ordering = ["naan", "shoulder"]
        constraints = [
            models.UniqueConstraint(fields=["naan", "shoulder"], name="unique_registry_naan"),
        ]

    def __str__(self) -> str:
        return f"{self.naan}/{self.shoulder}" if self.shoulder else self.naan


class DailyResolutions(models.Model):
    """How many times an ARK was resolved on one day (UTC).

    Written in batches by ``arks.stats.flush`` with an upsert on (ark, day), never row by row from
    a request; ``day`` is indexed for the site-wide series and the most-resolved list.
    """

    # No index of its own on ``ark``: the unique (ark, day) index serves lookups by ARK, and each
    # flush writes a row per ARK resolved that day into every index of the table.
    ark = models.ForeignKey(
        Ark, on_delete=models.PROTECT, related_name="daily_resolutions", db_index=False
    )
    day = models.DateField()
    count = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = "daily resolutions"
        verbose_name_plural = "daily resolutions"
        ordering = ["-day", "ark_id"]
        constraints = [
            models.UniqueConstraint(fields=["ark", "day"], name="unique_daily_resolutions"),
        ]
        indexes = [models.Index(fields=["day"], name="dailyresolutions_day")]

    def __str__(self) -> str:
        return f"{self.ark_id} on {self.day}: {self.count}"


class IdempotencyRecord(models.Model):
    """The first answer to an API ``POST`` sent with an ``Idempotency-Key``, replayed when the same
    key comes again.

    Written in the transaction that did the work, so an answer is never recorded for ARKs that
    were not minted, and ARKs are never minted without their answer being recorded: a client that
    lost the response can retry safely. ``fingerprint`` (SHA-256 over method, path and body) tells
    a true repeat from a different request reusing the key. Records are purged after
    ``PIDSVC_IDEMPOTENCY_HOURS``: they protect retries, they are not an archive.
    """

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="unique_idempotency_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


class RateCounter(models.Model):
    """Requests counted against one API rate limit in one window (``arks.api.rate_counters``),
    when the shared cache is not Redis.

    ``key`` names the limit, the client and the window, so a new window is a new row and rows are
    only ever inserted or incremented in one statement; ``expires`` (Unix seconds) is when the
    window is over and the hourly purge may drop the row. On PostgreSQL the table is UNLOGGED
    (migration 0009): counters need no crash safety, and the write skips the WAL.
    """

    key = models.CharField(max_length=120, primary_key=True)
    hits = models.PositiveIntegerField()
    expires = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["expires"], name="ratecounter_expires")]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
