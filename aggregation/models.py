"""What the aggregator harvests: sources, the runs that harvest them, the records as harvested
and the products parsed from them.

Models hold fields and constraints; writes go through ``aggregation.services``. The database
enforces what must never break: one record per (source, OAI identifier), one run in flight per
source, one parsed product per harvested record. Nothing harvested is deleted: a record the server
deletes, or that a full harvest no longer sees, is marked ``deleted`` and keeps its last metadata.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


class Source(models.Model):
    """An OAI-PMH endpoint (base URL, metadata prefix, optional set), or a local folder of
    OAI-PMH XML pages for offline ingest (the same code reads both)."""

    class RepositoryType(models.TextChoices):
        LITERATURE = "literature", "literature repository"
        DATA = "data", "data repository"
        JOURNAL = "journal", "journal platform"
        CRIS = "cris", "CRIS"
        AGGREGATOR = "aggregator", "aggregator"
        OTHER = "other", "other"

    name = models.CharField(max_length=200, unique=True)
    url = models.CharField(
        "base URL or folder",
        max_length=2000,
        help_text="The OAI-PMH base URL (http or https), or the absolute path of a folder of "
        "OAI-PMH XML pages (ListRecords responses, read in file-name order).",
    )
    metadata_prefix = models.CharField(max_length=64, default="oai_dc")
    set_spec = models.CharField("set", max_length=300, blank=True)
    repository_type = models.CharField(max_length=16, choices=RepositoryType.choices, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "An ISO 3166-1 alpha-2 code, e.g. AR.")],
        help_text="ISO 3166-1 alpha-2, e.g. AR.",
    )
    schedule = models.OneToOneField(
        PeriodicTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="harvest_source",
        help_text="The periodic harvest (django-celery-beat); its timing is edited under "
        "Periodic tasks.",
    )
    active = models.BooleanField(default=True, help_text="Inactive sources are never harvested.")
    max_withdrawal_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Hold a full harvest that would withdraw more than this share of the source's "
        "records (empty: the site-wide PIDSVC_HARVEST_MAX_WITHDRAWAL_PERCENT).",
    )
    # What the server said in Identify, at its last harvest.
    repository_name = models.CharField(max_length=500, blank=True, editable=False)
    granularity = models.CharField(max_length=32, blank=True, editable=False)
    earliest_datestamp = models.CharField(max_length=32, blank=True, editable=False)
    deleted_record = models.CharField(
        "deleted-record policy", max_length=16, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_folder(self) -> bool:
        return not self.url.lower().startswith(("http://", "https://"))


class HarvestRun(models.Model):
    """One harvest of one source: its window, progress, checkpoint, counters and errors."""

    class Mode(models.TextChoices):
        FULL = "full", "full"
        INCREMENTAL = "incremental", "incremental"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        HELD = "held", "held by the quality gate"
        DISCARDED = "discarded", "discarded (held, then refused)"

    IN_FLIGHT = (Status.QUEUED, Status.RUNNING)

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="runs")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    actor = models.CharField(max_length=200, blank=True, help_text="Who asked for the run.")
    # The OAI-PMH ``from``/``until`` arguments exactly as sent, at the server's granularity.
    window_from = models.CharField("from", max_length=32, blank=True)
    window_until = models.CharField("until", max_length=32, blank=True)
    # The checkpoint: the token of the next page to fetch ("" before the first page and after
    # the last). Written in the transaction that stores the page before it.
    resumption_token = models.TextField(blank=True)
    pages = models.PositiveIntegerField(default=0)
    complete_list_size = models.PositiveIntegerField(null=True, blank=True)
    records_new = models.PositiveIntegerField("new", default=0)
    records_updated = models.PositiveIntegerField("updated", default=0)
    records_deleted = models.PositiveIntegerField("deleted", default=0)
    records_unchanged = models.PositiveIntegerField("unchanged", default=0)
    records_failed = models.PositiveIntegerField("failed", default=0)
    # The responseDate of the run's first ListRecords page: the next incremental run's ``from``.
    response_date = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    gate = models.JSONField(
        default=dict, blank=True, help_text="What the quality gate measured and decided."
    )
    next_stage = models.JSONField(
        default=dict,
        blank=True,
        help_text="The stage after the harvest (dedup and identity): queued, then what it did.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process that claimed the run (``aggregation.owner``): a run whose process is gone is
    # taken over at once by the next request, without waiting for its heartbeat to go stale.
    owner_host = models.CharField("owner's host", max_length=255, blank=True)
    owner_pid = models.PositiveIntegerField("owner's process id", null=True, blank=True)
    owner_started = models.CharField(
        "owner's start",
        max_length=100,
        blank=True,
        help_text="boot id:PID namespace:start ticks (Linux).",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One run in flight per source: two runs would race on the checkpoint and counters.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="one_run_in_flight_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "status", "mode"], name="run_source_status_mode"),
            models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} ({self.mode}, {self.status})"

    @property
    def records_seen(self) -> int:
        return (
            self.records_new
            + self.records_updated
            + self.records_deleted
            + self.records_unchanged
            + self.records_failed
        )


class RawRecord(models.Model):
    """One record as harvested: the ``<record>`` element's XML, never rewritten by parsing.

    A deleted header without metadata keeps the metadata harvested before (the tombstone shows
    it); ``deleted_by_run`` tells a full harvest's inference ("not seen any more") from the
    server's own deleted header (``deleted`` with no ``deleted_by_run``).
    """

    # No index of its own on ``source``, ``first_run`` or ``deleted_by_run``: the unique
    # (source, OAI identifier) index serves lookups by source, nothing looks rows up by the other
    # two, and every index is paid for on each of millions of harvested rows.
    #
    # The three references to runs have no foreign-key constraint in the database: PostgreSQL
    # checks one row by row for every record a page inserts, and for every unchanged record
    # whose ``last_run`` a re-harvest moves on (a fifth of a page's time in the database).
    # Runs are never deleted (the admin cannot, and ``PROTECT`` refuses it through the ORM),
    # so the references cannot dangle; the source and the product keep their constraints.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="raw_records", db_index=False
    )
    oai_identifier = models.CharField("OAI identifier", max_length=1000)
    datestamp = models.CharField(max_length=32)
    deleted = models.BooleanField(default=False)
    xml = models.TextField("XML as harvested")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the harvested XML.")
    error = models.TextField(blank=True, help_text="Why no product could be parsed from it.")
    first_run = models.ForeignKey(
        HarvestRun, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        db_index=False, db_constraint=False,
    )  # fmt: skip
    last_run = models.ForeignKey(
        HarvestRun,
        on_delete=models.PROTECT,
        related_name="raw_records",
        null=True,
        blank=True,
        db_constraint=False,
        help_text="The last run that saw this record.",
    )
    deleted_by_run = models.ForeignKey(
        HarvestRun,
        on_delete=models.PROTECT,
        related_name="withdrawn_records",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        help_text="The full run that withdrew it for no longer listing it.",
    )
    harvested_at = models.DateTimeField(default=timezone.now, editable=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "harvested record"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "oai_identifier"], name="one_raw_record_per_source_identifier"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "deleted", "last_run"], name="raw_source_deleted_run"),
        ]

    def __str__(self) -> str:
        return self.oai_identifier


class Record(models.Model):
    """The normalised product parsed from a ``RawRecord`` (``aggregation.formats.Product``)."""

    raw = models.OneToOneField(RawRecord, on_delete=models.CASCADE, related_name="record")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    format = models.CharField(max_length=32)
    product = models.JSONField(help_text="Product.to_dict(); read back with Product.from_dict().")
    title = models.TextField(blank=True)
    # The product's PIDs as ``doi:10.1/x hdl:…`` (one space-separated string) for the admin's
    # search; the dedup stage reads them from ``product``.
    pids = models.TextField("PIDs", blank=True)
    parsed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title[:100] or f"record {self.pk}"


# --- dedup and identity -----------------------------------------------------------------------


class Work(models.Model):
    """A cluster of harvested records that describe one research product; it holds one ARK.

    A Work is never deleted. ``merged`` Works were folded into another (their ARK resolves
    through the survivor's) and may come back if their records split away again; ``withdrawn``
    Works lost every record (their ARK is a tombstone). ``adopted``: the ARK is an institution's
    own, carried by a member record, not one this aggregator minted; its owner's target and
    description stay authoritative.
    """

    class Status(models.TextChoices):
        LIVE = "live", "live"
        MERGED = "merged", "merged into another work"
        WITHDRAWN = "withdrawn", "withdrawn (every record withdrawn)"

    ark = models.OneToOneField("arks.Ark", on_delete=models.PROTECT, related_name="work")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LIVE)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_works"
    )
    adopted = models.BooleanField(
        default=False, help_text="The ARK is an institution's own, adopted from a member record."
    )
    title = models.TextField(blank=True)
    kind = models.CharField(max_length=16, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    summary = models.JSONField(
        default=dict, blank=True, help_text="The best value of each field among the members."
    )
    instances = models.JSONField(
        default=list, blank=True, help_text="Every live member: source, URL, access, licence."
    )
    # What identity last wrote to the ARK (target, state, reason, ERC kernel, metadata), compared
    # with the ARK on every dedup run: whatever else changed it is put back. Empty for an adopted
    # ARK, which is its owner's to write.
    ark_fields = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["status", "id"], name="work_status_id")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="work_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ark_id and self.ark.ark} {self.title[:80]}".strip()


class Membership(models.Model):
    """What dedup last saw of a harvested record, and the Work it belongs to.

    ``content_hash`` and ``deleted`` are the raw record's when dedup last processed it: a raw
    record whose values differ (or that has no membership) is dedup's work to do. ``live``: it
    was parsed into a product and is not withdrawn, so it takes part in matching; a record that
    is not live stays with its Work (the tombstone shows it). ``first_work``: the Work it first
    belonged to, whose ARK it gets back if it splits away after a merge. ``pending``: matched,
    not yet given its Work (a run stopped between the two stages resumes there).
    """

    raw = models.OneToOneField(
        RawRecord, on_delete=models.PROTECT, primary_key=True, related_name="membership"
    )
    work = models.ForeignKey(
        Work, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    first_work = models.ForeignKey(
        Work, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    content_hash = models.CharField(max_length=64)
    deleted = models.BooleanField(default=False)
    live = models.BooleanField(default=False)
    pending = models.BooleanField(default=True)
    isolated = models.BooleanField(
        default=False,
        help_text="A curator split it out of its work: it joins others only by a curator's merge.",
    )
    carried_ark = models.ForeignKey(
        "arks.Ark",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="An institution's ARK, registered here, that the record names as its own.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["pending"], name="membership_pending", condition=Q(pending=True))
        ]

    def __str__(self) -> str:
        return f"record {self.raw_id} in work {self.work_id}"


class BlockKey(models.Model):
    """One block a live record belongs to (``aggregation.dedup.block_keys``), stored so that an
    incremental run looks a new record's blocks up instead of re-keying every record. ``key`` is
    a 64-bit hash of the key text: a collision only adds a candidate, which comparison rejects."""

    raw = models.ForeignKey(RawRecord, on_delete=models.PROTECT, related_name="+")
    key = models.BigIntegerField()
    sort_key = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["key", "sort_key", "raw"], name="blockkey_key_sort_raw")]

    def __str__(self) -> str:
        return f"{self.key} {self.raw_id}"


class Match(models.Model):
    """A pair of records judged to describe one product, with the rule and scores that decided
    (``aggregation.dedup.Decision``), or a curator's decision (``curator``: it outlives runs)."""

    a = models.ForeignKey(RawRecord, on_delete=models.PROTECT, related_name="+", db_index=False)
    b = models.ForeignKey(RawRecord, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=64)
    scores = models.JSONField(default=dict, blank=True)
    curator = models.BooleanField(default=False)
    actor = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["a", "b"], name="one_match_per_pair"),
            models.CheckConstraint(condition=Q(a__lt=models.F("b")), name="match_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.a_id} = {self.b_id} ({self.rule})"


class HeldGroup(models.Model):
    """A group of matched records that dedup did not merge (chaining guard, or two
    institutions' ARKs in one group): its records keep their Works until a curator decides."""

    members = models.JSONField(help_text="Raw record ids.")
    reason = models.CharField(max_length=32)
    cohesion = models.FloatField(null=True, blank=True)
    conflicts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    open = models.BooleanField(default=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{len(self.members)} records held ({self.reason})"
