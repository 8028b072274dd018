"""The Django admin of harvesting: sources (with "harvest now", "full re-harvest" and a compliance
report), runs (history, counters, errors, live progress; release or discard held runs) and the
harvested records (searchable by title, OAI identifier and PID).

Every write goes through ``aggregation.services``; runs and records are read-only here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from aggregation import curation, selectors, services, stage
from aggregation.curation import Curation
from aggregation.errors import (
    CurationChanged,
    CurationRefused,
    HarvestConflict,
    IdentityNotConfigured,
    InvalidSource,
)
from aggregation.formats import detect_pid
from aggregation.heldruns import HeldRunViews
from aggregation.models import HarvestRun, HeldGroup, Membership, RawRecord, Record, Source, Work
from arks.admin import EstimatedCountPaginator

Status = HarvestRun.Status


def actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


def _read_only(model_admin: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """Harvested data is written by harvests only."""

    def no(self: Any, request: HttpRequest, obj: Any = None) -> bool:
        return False

    model_admin.has_add_permission = no  # type: ignore[method-assign]
    model_admin.has_delete_permission = no  # type: ignore[method-assign]
    return model_admin


# --- sources --------------------------------------------------------------------------------


SOURCE_FIELDS = ["name", "url", "metadata_prefix", "set_spec", "repository_type", "country",
                 "active", "max_withdrawal_percent"]  # fmt: skip


class SourceForm(forms.ModelForm):
    schedule_cron = forms.CharField(
        label="harvest schedule",
        required=False,
        help_text="cron, UTC: minute hour day month weekday, e.g. 0 3 * * * (every day at 03:00). "
        "Empty: harvested only on request.",
    )

    class Meta:
        model = Source
        fields = SOURCE_FIELDS
        widgets = {"url": forms.TextInput(attrs={"size": 80})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["schedule_cron"].initial = selectors.schedule_of(self.instance)
            self.fields["name"].disabled = True  # the schedule's name follows it

    def clean_url(self) -> str:
        try:
            return services.validate_url(self.cleaned_data["url"])
        except InvalidSource as exc:
            raise ValidationError(exc.message) from None

    def clean_schedule_cron(self) -> str:
        value = " ".join(self.cleaned_data["schedule_cron"].split())
        if value:
            try:
                services.check_schedule(value)
            except InvalidSource as exc:
                raise ValidationError(exc.message) from None
        return value


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "url", "metadata_prefix", "set_spec", "repository_type", "country",
                    "active", "last_harvest"]  # fmt: skip
    list_filter = ["active", "repository_type", "country"]
    search_fields = ["name", "url", "set_spec"]
    actions = ["harvest_now", "full_reharvest"]
    readonly_fields = ["repository_name", "granularity", "earliest_datestamp", "deleted_record",
                       "schedule_link", "reports"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "url", "metadata_prefix", "set_spec", "active"]}),
        ("Description", {"fields": ["repository_type", "country"]}),
        ("Harvesting", {"fields": ["schedule_cron", "schedule_link", "max_withdrawal_percent"]}),
        ("What the server says (Identify)", {"fields": ["repository_name", "granularity",
                                                        "earliest_datestamp", "deleted_record"]}),
        ("Reports", {"fields": ["reports"]}),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        latest = HarvestRun.objects.filter(source=OuterRef("pk")).order_by("-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_status=Subquery(latest.values("status")[:1]),
                last_run_id=Subquery(latest.values("id")[:1]),
            )
        )

    @admin.display(description="last harvest")
    def last_harvest(self, obj: Source) -> str:
        if not getattr(obj, "last_run_id", None):
            return "never"
        url = reverse("admin:aggregation_harvestrun_change", args=[obj.last_run_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.last_run_id, obj.last_status)

    @admin.display(description="periodic task")
    def schedule_link(self, obj: Source) -> str:
        if obj.schedule_id is None:
            return "none"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.schedule_id])
        return format_html('<a href="{}">{}</a>', url, obj.schedule)

    @admin.display(description="reports")
    def reports(self, obj: Source) -> str:
        if obj.pk is None:
            return "-"
        runs = reverse("admin:aggregation_harvestrun_changelist") + f"?source__id__exact={obj.pk}"
        records = reverse("admin:aggregation_record_changelist") + f"?source__id__exact={obj.pk}"
        report = reverse("admin:aggregation_source_compliance", args=[obj.pk])
        return format_html(
            '<a href="{}">runs</a> · <a href="{}">records</a> · '
            '<a href="{}">OpenAIRE v4 compliance report</a>',
            runs, records, report,
        )  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in SOURCE_FIELDS}
            services.update_source(source=obj, schedule=data["schedule_cron"], **changes)
            return
        created = services.create_source(
            **{name: data[name] for name in SOURCE_FIELDS}, schedule=data["schedule_cron"]
        )
        obj.pk = created.pk

    @admin.action(description="Harvest now (incremental)")
    def harvest_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        self._request(request, queryset, full=False)

    @admin.action(description="Full re-harvest (withdraws what is gone, through the gate)")
    def full_reharvest(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        self._request(request, queryset, full=True)

    def _request(self, request: HttpRequest, queryset: QuerySet[Source], *, full: bool) -> None:
        for source in queryset:
            try:
                run = services.request_harvest(source=source, full=full, actor=actor(request))
            except HarvestConflict as exc:
                self.message_user(request, _conflict_message(source, exc), messages.WARNING)
            else:
                self.message_user(request, f"{source}: run #{run.pk} queued ({run.mode})")

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.compliance_view)
        return [
            path("<int:pk>/compliance/", view, name="aggregation_source_compliance"),
            *super().get_urls(),
        ]

    def compliance_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Source, pk=pk)
        if not self.has_view_permission(request, source):
            return HttpResponse(status=403)
        limit = 2000
        report = selectors.compliance_report(source, limit=limit)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": source,
            "title": f"OpenAIRE Guidelines v4 compliance: {source}",
            "report": report,
            "rows": report.rows(),
            "share": report.compliant / report.records if report.records else None,
            "limit": limit,
            "counts": selectors.source_counts(source),
        }
        return TemplateResponse(request, "admin/aggregation/source/compliance.html", context)


def _conflict_message(source: Source, exc: HarvestConflict) -> str:
    """Why a run was refused, with a link to the run in the way (a held run's page says what
    releasing or discarding it does)."""
    if exc.run_id is None:
        return f"{source}: {exc.message}"
    url = reverse("admin:aggregation_harvestrun_change", args=[exc.run_id])
    return format_html('{}: {} <a href="{}">Open run #{}</a>', source, exc.message, url,
                       exc.run_id)  # fmt: skip


# --- runs -----------------------------------------------------------------------------------


@_read_only
@admin.register(HarvestRun)
class HarvestRunAdmin(HeldRunViews, admin.ModelAdmin):
    # The counters share one column, so that the run's progress fits a 1280 px screen too.
    list_display = ["id", "source", "mode", "status", "started_at", "counters", "live"]
    list_display_links = ["id", "source"]
    list_filter = ["status", "mode", "source"]
    list_select_related = ["source"]
    actions = ["release", "discard", "resume"]
    ordering = ["-id"]
    fieldsets = [
        (None, {"fields": ["source", "mode", "status", "actor", "live", "gate_summary",
                           "next_stage_summary"]}),
        ("Counters", {"fields": ["records_new", "records_updated", "records_deleted",
                                 "records_unchanged", "records_failed", "pages",
                                 "complete_list_size"]}),
        ("Window and checkpoint", {"fields": ["window_from", "window_until", "response_date",
                                              "resumption_token"]}),
        ("Times", {"fields": ["created_at", "started_at", "heartbeat_at", "finished_at",
                              "owner"]}),
        ("Errors", {"fields": ["error_table"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description="records")
    def counters(self, obj: HarvestRun) -> str:
        counts = [("new", obj.records_new), ("updated", obj.records_updated),
                  ("deleted", obj.records_deleted), ("unchanged", obj.records_unchanged),
                  ("failed", obj.records_failed)]  # fmt: skip
        return " · ".join(f"{n:,} {name}" for name, n in counts if n) or "none"

    @admin.display(description="progress")
    def live(self, obj: HarvestRun) -> str:
        p = selectors.progress(obj)
        parts = [f"{p.records:,} records", f"{p.pages:,} pages"]
        if obj.status == Status.RUNNING:
            parts.append(f"{p.rate:,.0f}/s")
            if p.share is not None:
                parts.append(f"{p.share:.0%} of {obj.complete_list_size:,}")
            if p.eta is not None:
                parts.append(f"ETA {timedelta(seconds=round(p.eta))}")
            if p.heartbeat_age is not None:
                parts.append(f"heartbeat {p.heartbeat_age:,.0f} s ago")
        return " · ".join(parts)

    @admin.display(description="owner")
    def owner(self, obj: HarvestRun) -> str:
        return f"process {obj.owner_pid} on {obj.owner_host}" if obj.owner_pid else "-"

    @admin.display(description="quality gate")
    def gate_summary(self, obj: HarvestRun) -> str:
        if not obj.gate:
            return "-"
        reasons = obj.gate.get("reasons") or ["passed"]
        return format_html(
            "{}<br><small>{}</small>",
            "; ".join(reasons),
            json.dumps({k: v for k, v in obj.gate.items() if k != "reasons"}),
        )

    @admin.display(description="next stage")
    def next_stage_summary(self, obj: HarvestRun) -> str:
        """What dedup and identity did after the run, with a link to the works."""
        text = stage.describe(obj.next_stage)
        if obj.next_stage.get("state") != "done":
            return text
        works = reverse("admin:aggregation_work_changelist")
        return format_html('{} · <a href="{}">works</a>', text, works)

    @admin.display(description="errors")
    def error_table(self, obj: HarvestRun) -> str:
        if not obj.errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("at", ""), e.get("page", ""), e.get("code", ""), e.get("identifier", ""),
              e.get("message", "") + (f" ({e['note']})" if e.get("note") else ""))
             for e in obj.errors),
        )  # fmt: skip
        return format_html(
            "<table><tr><th>at</th><th>page</th><th>code</th><th>record</th><th>message</th>"
            "</tr>{}</table>",
            rows,
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        refresh = run is not None and run.status in HarvestRun.IN_FLIGHT
        context = {**(extra_context or {}), "refresh_seconds": 5 * refresh,
                   **self.held_context(request, run)}  # fmt: skip
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self) -> list[Any]:
        return [*self.held_urls(), *super().get_urls()]

    @admin.action(description="Release held runs (apply their withdrawals)")
    def release(self, request: HttpRequest, queryset: QuerySet[HarvestRun]) -> None:
        self._each(
            request, queryset, lambda run: services.release_run(run=run, actor=actor(request))
        )

    @admin.action(description="Discard held runs (withdraw nothing) or failed ones (no resume)")
    def discard(self, request: HttpRequest, queryset: QuerySet[HarvestRun]) -> None:
        self._each(
            request, queryset, lambda run: services.discard_run(run=run, actor=actor(request))
        )

    @admin.action(description="Resume failed runs from their checkpoint")
    def resume(self, request: HttpRequest, queryset: QuerySet[HarvestRun]) -> None:
        self._each(
            request, queryset, lambda run: services.resume_run(run=run, actor=actor(request))
        )

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[HarvestRun],
        do: Callable[[HarvestRun], HarvestRun],
    ) -> None:
        for run in queryset:
            try:
                done = do(run)
            except HarvestConflict as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(request, f"run #{done.pk} of {done.source}: {done.status}")


# --- records --------------------------------------------------------------------------------


class Curating:
    """Merging and splitting (the actions with ``permissions=["curate"]``) change works: they
    need the permission to change works; viewing works or records is not enough."""

    def has_curate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("aggregation.change_work")


class HasErrorFilter(admin.SimpleListFilter):
    title = "parsing"
    parameter_name = "parsed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "failed"), ("yes", "parsed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[RawRecord]) -> QuerySet[RawRecord]:
        if self.value() == "no":
            return queryset.exclude(error="")
        if self.value() == "yes":
            return queryset.filter(error="")
        return queryset


@_read_only
@admin.register(RawRecord)
class RawRecordAdmin(Curating, admin.ModelAdmin):
    list_display = ["oai_identifier", "source", "datestamp", "deleted", "error", "changed_at"]
    list_filter = ["source", "deleted", HasErrorFilter]
    list_select_related = ["source"]
    actions = ["split_out", "split_out_together"]
    search_fields = ["=oai_identifier"]
    search_help_text = "An OAI identifier, exactly."
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # millions of rows: no COUNT(*) per page view
    fields = ["source", "oai_identifier", "datestamp", "deleted", "deleted_by_run", "error",
              "content_hash", "first_run", "last_run", "harvested_at", "changed_at",
              "xml_pre"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="XML as harvested")
    def xml_pre(self, obj: RawRecord) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.xml)

    @admin.action(
        description="Split the selected records out of their works, each on its own",
        permissions=["curate"],
    )
    def split_out(self, request: HttpRequest, queryset: QuerySet[RawRecord]) -> HttpResponse | None:
        return self._split(request, queryset, together=False)

    @admin.action(
        description="Split the selected records out together, as one new work",
        permissions=["curate"],
    )
    def split_out_together(
        self, request: HttpRequest, queryset: QuerySet[RawRecord]
    ) -> HttpResponse | None:
        return self._split(request, queryset, together=True)

    def _split(
        self, request: HttpRequest, queryset: QuerySet[RawRecord], *, together: bool
    ) -> HttpResponse | None:
        records = list(queryset.order_by("pk"))

        def split(note: str, dry_run: bool, expect: str | None) -> Curation:
            return curation.curator_split(
                records=records, together=together, actor=actor(request), note=note,
                dry_run=dry_run, expect=expect,
            )  # fmt: skip

        return curate(
            self, request, queryset,
            action="split_out_together" if together else "split_out",
            title="Split out together" if together else "Split out, each on its own",
            explanation=(
                "The records leave their work together and become one work of their own"
                if together else "Each record leaves its work and stands alone"
            ) + " (a new ARK, or the ARK it had before a merge); the work keeps its ARK with "
            "the records that remain. Dedup keeps the decision: these records join others only "
            "by a curator's merge.",
            decide=split,
        )  # fmt: skip


@_read_only
@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ["title_short", "source", "format", "identifier", "pids"]
    list_filter = ["source", "format"]
    list_select_related = ["source", "raw"]
    search_fields = ["title", "=raw__oai_identifier", "pids"]
    search_help_text = "Words of the title, an OAI identifier, or a PID (DOI, Handle, URN…)."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = ["title", "source", "format", "raw_link", "pids", "parsed_at", "product_json"]
    readonly_fields = fields

    @admin.display(description="title", ordering="title")
    def title_short(self, obj: Record) -> str:
        return obj.title[:120] or "(no title)"

    @admin.display(description="OAI identifier", ordering="raw__oai_identifier")
    def identifier(self, obj: Record) -> str:
        return obj.raw.oai_identifier

    @admin.display(description="harvested record")
    def raw_link(self, obj: Record) -> str:
        url = reverse("admin:aggregation_rawrecord_change", args=[obj.raw_id])
        return format_html('<a href="{}">{}</a>', url, obj.raw.oai_identifier)

    @admin.display(description="product")
    def product_json(self, obj: Record) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.product, indent=2, ensure_ascii=False))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Record], search_term: str
    ) -> tuple[QuerySet[Record], bool]:
        """A PID in any form (``https://doi.org/10.1/X``, ``doi:10.1/x``) is normalised first."""
        pid = detect_pid(search_term.strip()) if search_term.strip() else None
        if pid is not None and pid.kind != "url":
            return queryset.filter(selectors.with_pid(str(pid))), False
        return super().get_search_results(request, queryset, search_term)


# --- works and curation ---------------------------------------------------------------------


def curate(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    explanation: str,
    decide: Callable[[str, bool, str | None], Curation],
) -> HttpResponse | None:
    """A curator's action: first a page that shows what it will do (a dry run of the decision)
    and asks why; confirmed, the decision is applied if it still does what the page showed."""
    note = request.POST.get("note", "").strip()
    shown = request.POST.get("plan", "")
    warning = ""
    if request.POST.get("confirmed") == "yes" and not note:
        warning = "Say why: the reason goes into the ARKs' history. Nothing was changed."
    elif request.POST.get("confirmed") == "yes" and shown:
        try:
            done = decide(note, False, shown)
        except CurationChanged as exc:
            warning = str(exc)
        except (CurationRefused, IdentityNotConfigured) as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            return None
        else:
            for line in curation_messages(done):
                model_admin.message_user(request, line)
            return None
    try:
        preview, refused = decide(note, True, None), ""
    except (CurationRefused, IdentityNotConfigured) as exc:
        preview, refused = None, str(exc)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "explanation": explanation,
        "preview": preview,
        "refused": refused,
        "warning": warning,
        "note": note,
        "queryset": queryset,
        "action": action,
    }
    return TemplateResponse(request, "admin/aggregation/curate.html", context)


def curation_messages(done: Curation) -> list[str]:
    """What a decision did, as the admin's messages say it."""
    lines = [
        f"{', '.join(p.identifier for p in items)}: in {ark}"
        for ark, _, items in done.destinations()
    ]
    if done.survivor:
        lines.insert(0, f"the works are now {done.survivor}")
    lines += [f"{old} now resolves through {new}" for old, new in done.aliases.items()]
    lines += [f"{ark} stands for its records again" for ark in done.revived]
    return lines


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "work"
    fields = ["record", "source", "live", "isolated"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("raw__source")

    @admin.display(description="harvested record")
    def record(self, obj: Membership) -> str:
        url = reverse("admin:aggregation_rawrecord_change", args=[obj.raw_id])
        return format_html('<a href="{}">{}</a>', url, obj.raw.oai_identifier)

    @admin.display(description="source")
    def source(self, obj: Membership) -> str:
        return obj.raw.source.name


@_read_only
@admin.register(Work)
class WorkAdmin(Curating, admin.ModelAdmin):
    list_display = ["ark_text", "title_short", "status", "kind", "year", "adopted"]
    list_filter = ["status", "adopted", "kind"]
    list_select_related = ["ark"]
    search_fields = ["title", "=ark__ark"]
    search_help_text = "Words of the title, or the ARK exactly (ark:NAAN/name)."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["merge_works"]
    inlines = [MembershipInline]
    fields = ["ark_link", "status", "merged_into", "adopted", "title", "kind", "year",
              "instances_table", "explanation", "created_at", "updated_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="ARK", ordering="ark__ark")
    def ark_text(self, obj: Work) -> str:
        return obj.ark.ark

    @admin.display(description="ARK")
    def ark_link(self, obj: Work) -> str:
        url = reverse("admin:arks_ark_change", args=[obj.ark_id])
        return format_html('<a href="{}">{}</a>', url, obj.ark.ark)

    @admin.display(description="title", ordering="title")
    def title_short(self, obj: Work) -> str:
        return obj.title[:120] or "(no title)"

    @admin.display(description="instances")
    def instances_table(self, obj: Work) -> str:
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((i.get("source", ""), i.get("access_rights", ""), i.get("type", ""),
              i.get("doi_url") or i.get("url") or "") for i in obj.instances),
        )  # fmt: skip
        return format_html(
            "<table><tr><th>source</th><th>access</th><th>type</th><th>link</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="why these records are one work")
    def explanation(self, obj: Work) -> str:
        why = selectors.explain_work(obj)
        matches = format_html_join(
            "", "<li>{} = {}: {}</li>",
            ((m["a_label"], m["b_label"], m["explained"]) for m in why.matches),
        )  # fmt: skip
        named = selectors.record_labels({pk for g in why.held for pk in g.members})
        held = format_html_join(
            "", "<li>held for review ({}): {}</li>",
            ((g.reason, "; ".join(named.get(pk, f"record {pk}") for pk in g.members))
             for g in why.held),
        )  # fmt: skip
        return format_html("<ul>{}{}</ul>", matches, held) if why.matches or why.held else "-"

    @admin.action(description="Merge the selected works into one (curator)", permissions=["curate"])
    def merge_works(self, request: HttpRequest, queryset: QuerySet[Work]) -> HttpResponse | None:
        works = list(queryset)

        def merge(note: str, dry_run: bool, expect: str | None) -> Curation:
            return curation.curator_merge(
                works=works, actor=actor(request), note=note, dry_run=dry_run, expect=expect
            )

        return curate(
            self, request, queryset, action="merge_works", title="Merge works", decide=merge,
            explanation="The selected works become one, and no other work changes. The oldest "
            "keeps its ARK (an institution's ARK always survives); the others resolve through "
            "it. Dedup keeps the decision.",
        )  # fmt: skip


@_read_only
@admin.register(HeldGroup)
class HeldGroupAdmin(admin.ModelAdmin):
    list_display = ["id", "reason", "size", "cohesion", "open", "created_at"]
    list_filter = ["open", "reason"]
    fields = ["reason", "cohesion", "open", "records", "conflicts", "created_at"]
    readonly_fields = fields

    @admin.display(description="records")
    def size(self, obj: HeldGroup) -> int:
        return len(obj.members)

    @admin.display(description="records")
    def records(self, obj: HeldGroup) -> str:
        links = (
            (reverse("admin:aggregation_rawrecord_change", args=[pk]), pk) for pk in obj.members
        )
        return format_html_join(", ", '<a href="{}">{}</a>', links)
