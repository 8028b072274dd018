"""The admin's page of a run held by the quality gate: release and discard buttons, each asking
for confirmation before it changes anything, and the records the run would withdraw, paged.

A mixin of ``aggregation.admin.HarvestRunAdmin``: its views are thin, the writes are
``services.release_run`` and ``services.discard_run``, the list is
``selectors.withdrawal_list``. Both buttons POST (CSRF-protected, as every admin view); the first
POST shows what will happen, the second (``confirmed=yes``) does it.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from aggregation import selectors, services
from aggregation.errors import HarvestConflict
from aggregation.models import HarvestRun

PER_PAGE: Final = 50
PAGE_PARAMETER: Final = "withdrawals"
MAX_REASON: Final = 500

_DOES: Final = {
    "release": "withdraws the {count:,} records listed on the run's page (they stay stored, "
    "marked deleted, and their works become tombstones if no other record holds them), marks "
    "the run succeeded and starts the next stage (dedup and identity).",
    "discard": "withdraws nothing: the {count:,} records stay live, the run is marked "
    "discarded, and the source can be harvested again.",
}


class HeldRunViews:
    """``release/`` and ``discard/`` of a run, and the held run's context on its page."""

    admin_site: Any
    model: type[HarvestRun]

    def held_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/release/", view(self.release_view), name="aggregation_run_release"),
            path("<int:pk>/discard/", view(self.discard_view), name="aggregation_run_discard"),
        ]

    def held_context(self, request: HttpRequest, run: HarvestRun | None) -> dict[str, Any]:
        """The buttons and the page of would-be withdrawals, for a held run's page."""
        if run is None or run.status != HarvestRun.Status.HELD:
            return {}
        paginator = Paginator(selectors.withdrawal_list(run), PER_PAGE)
        page = paginator.get_page(request.GET.get(PAGE_PARAMETER))
        return {
            "held": True,
            "withdrawals": page,
            "page_parameter": PAGE_PARAMETER,
            "release_url": reverse("admin:aggregation_run_release", args=[run.pk]),
            "discard_url": reverse("admin:aggregation_run_discard", args=[run.pk]),
            "may_decide": self.has_change_permission(request, run),  # type: ignore[attr-defined]
            "reasons": run.gate.get("reasons") or [],
        }

    def release_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "release")

    def discard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "discard")

    def _decide(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
        if not self.has_change_permission(request, run):  # type: ignore[attr-defined]
            return HttpResponse("You may not release or discard harvest runs.", status=403)
        page = reverse("admin:aggregation_harvestrun_change", args=[run.pk])
        if run.status != HarvestRun.Status.HELD:
            self.message_user(  # type: ignore[attr-defined]
                request, f"run #{run.pk} is {run.status}, not held: nothing done", messages.WARNING
            )
            return HttpResponseRedirect(page)
        if request.POST.get("confirmed") != "yes":
            return self._confirmation(request, run, decision, page)
        by = f"admin:{request.user.get_username()}"
        reason = request.POST.get("reason", "").strip()[:MAX_REASON]
        try:
            if decision == "release":
                done = services.release_run(run=run, actor=by)
            else:
                done = services.discard_run(run=run, actor=by, reason=reason)
        except HarvestConflict as exc:  # decided meanwhile by someone else
            self.message_user(request, exc.message, messages.WARNING)  # type: ignore[attr-defined]
            return HttpResponseRedirect(page)
        summary = (
            f"{done.records_deleted:,} records withdrawn, next stage queued"
            if decision == "release"
            else "nothing withdrawn"
        )
        self.message_user(request, f"run #{done.pk} of {done.source}: {done.status} ({summary})")  # type: ignore[attr-defined]
        return HttpResponseRedirect(page)

    def _confirmation(
        self, request: HttpRequest, run: HarvestRun, decision: str, page: str
    ) -> TemplateResponse:
        count = selectors.withdrawal_candidates(run).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": run,
            "title": f"{decision.capitalize()} run #{run.pk} of {run.source}?",
            "decision": decision,
            "does": _DOES[decision].format(count=count),
            "reasons": run.gate.get("reasons") or [],
            "run_url": page,
        }
        return TemplateResponse(request, "admin/aggregation/harvestrun/confirm.html", context)
