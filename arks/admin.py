"""The Django admin of the identifier layer: NAAN delegation, keys, and read-mostly ARK browsing.

Every write goes through ``arks.services``; the forms here only collect input and show the
services' errors next to the field they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from arks import selectors, services
from arks.domain.ark import InvalidArk, normalize
from arks.errors import IdentifierError
from arks.models import ApiKey, Ark, ArkEvent, Naan, Organization, RegistryNaan, Shoulder


def actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


def as_validation_error(exc: IdentifierError) -> ValidationError:
    return ValidationError({exc.field: exc.message} if exc.field else exc.message)


# --- shoulders --------------------------------------------------------------------------------


class ShoulderForm(forms.ModelForm):
    """Prefix and template are fixed once a shoulder exists: a change could mint a name twice."""

    class Meta:
        model = Shoulder
        fields = ["prefix", "organization", "template", "is_test", "is_active",
                  "persistence_statement"]  # fmt: skip
        # Narrow enough that the shoulders of a NAAN, with their counts, fit a 1280 px screen.
        widgets = {
            "prefix": forms.TextInput(attrs={"size": 8}),
            "template": forms.TextInput(attrs={"size": 10}),
            "persistence_statement": forms.Textarea(attrs={"rows": 2, "cols": 24}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("prefix", "template"):
                self.fields[name].disabled = True


class ShoulderFormSet(forms.BaseInlineFormSet):
    """Checks new shoulders against the stored ones and against each other before any is saved."""

    def clean(self) -> None:
        super().clean()
        taken = (
            list(self.instance.shoulders.values_list("prefix", flat=True))
            if self.instance.pk
            else []
        )
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if form.instance.pk and data and "organization" in form.changed_data:
                try:
                    services.check_shoulder_holder(
                        shoulder=form.instance, organization=data["organization"]
                    )
                except IdentifierError as exc:
                    form.add_error("organization", exc.message)
            if form.instance.pk or not data or data.get("DELETE") or "prefix" not in data:
                continue
            try:
                services.validate_shoulder(
                    naan=None,
                    prefix=data["prefix"],
                    template=data.get("template", ""),
                    others=taken,
                )
            except IdentifierError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                continue
            taken.append(data["prefix"])


class ShoulderCountsMixin:
    @admin.display(description="minted")
    def minted(self, obj: Shoulder) -> int:
        return obj.counter

    @admin.display(description="remaining")
    def remaining(self, obj: Shoulder) -> str:
        if obj.pk is None:
            return "-"
        left = selectors.shoulder_remaining(obj)
        return "unlimited" if left is None else f"{left:,}"


class ShoulderInline(ShoulderCountsMixin, admin.TabularInline):
    model = Shoulder
    form = ShoulderForm
    formset = ShoulderFormSet
    fk_name = "naan"
    extra = 1
    readonly_fields = ["minted", "remaining"]
    can_delete = False
    autocomplete_fields = ["organization"]


class OrgShoulderInline(ShoulderCountsMixin, admin.TabularInline):
    model = Shoulder
    fk_name = "organization"
    fields = ["shoulder_link", "template", "is_test", "is_active", "minted", "remaining"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "shoulders delegated to this organisation"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # shoulders are delegated from the NAAN page

    @admin.display(description="shoulder")
    def shoulder_link(self, obj: Shoulder) -> str:
        url = reverse("admin:arks_naan_change", args=[obj.naan_id])
        return format_html('<a href="{}">{}</a>', url, obj)


class NaanForm(forms.ModelForm):
    def clean_forward_to(self) -> str:
        """Checked as ``services.register_naan`` checks it, so an unsafe URL is a form error."""
        value = self.cleaned_data["forward_to"]
        try:
            services.validate_target(value.replace("${", "").replace("}", "").replace("$", ""))
        except IdentifierError as exc:
            raise ValidationError(exc.message) from None
        return value


@admin.register(Naan)
class NaanAdmin(admin.ModelAdmin):
    form = NaanForm
    list_display = ["naan", "holder", "served", "forward_to", "shoulder_count"]
    list_filter = ["served"]
    search_fields = ["naan", "holder__name"]
    autocomplete_fields = ["holder"]
    inlines = [ShoulderInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Naan]:
        return super().get_queryset(request).select_related("holder")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # ``served`` follows ``forward_to`` (see ``services.register_naan``); a NAAN is never
        # renamed: its ARKs carry it, and ``register_naan`` would create a second NAAN instead.
        return ["naan", "served"] if obj else ["served"]

    @admin.display(description="shoulders")
    def shoulder_count(self, obj: Naan) -> int:
        return obj.shoulders.count()

    def save_model(self, request: HttpRequest, obj: Naan, form: Any, change: bool) -> None:
        saved = services.register_naan(
            naan=obj.naan,
            holder=obj.holder,
            forward_to=obj.forward_to,
            policy_statement=obj.policy_statement,
        )
        obj.pk = saved.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # What ``formset.save()`` would record; the admin's change message reads it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for shoulder_form in formset.forms:
            if not shoulder_form.has_changed() or shoulder_form.cleaned_data.get("DELETE"):
                continue
            if shoulder_form.instance.pk:
                shoulder = self._save_shoulder(shoulder_form, naan=form.instance)
                formset.changed_objects.append((shoulder, shoulder_form.changed_data))
            else:
                formset.new_objects.append(self._save_shoulder(shoulder_form, naan=form.instance))

    def _save_shoulder(self, shoulder_form: ShoulderForm, *, naan: Naan) -> Shoulder:
        data = shoulder_form.cleaned_data
        if shoulder_form.instance.pk:  # only the mutable fields can have changed
            return shoulder_form.save()
        return services.delegate_shoulder(
            naan=naan,
            prefix=data["prefix"],
            organization=data["organization"],
            template=data["template"],
            is_test=data["is_test"],
            persistence_statement=data["persistence_statement"],
        )


# --- organisations and keys -------------------------------------------------------------------


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ["prefix", "name", "created", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "name", "created", "last_used_at", "revoked"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # issued through the API key page, which shows the key once


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "created_at"]
    search_fields = ["name"]
    inlines = [OrgShoulderInline, ApiKeyInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["issue_key_link"]

    @admin.display(description="API keys")
    def issue_key_link(self, obj: Organization) -> str:
        if obj.pk is None:
            return "Save the organisation first."
        url = reverse("admin:arks_apikey_add") + f"?organization={obj.pk}"
        return format_html('<a class="button" href="{}">Issue a new API key</a>', url)


# The library's own key model is not used (ours belongs to an organisation): keep it out of sight.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "organization", "last_used_at"]
    list_filter = ["organization", "revoked"]
    search_fields = ["prefix", "name", "organization__name"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "organization", "last_used_at") if obj else (*fields, "last_used_at")

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj else ["revoked"]  # a key is issued valid; it is revoked on its page

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            if obj.revoked:
                services.revoke_api_key(api_key=obj)
            obj.save(update_fields=["name", "expiry_date", "revoked"])
            return
        issued, key = services.issue_api_key(organization=obj.organization, name=obj.name)
        if obj.expiry_date:  # the service issues keys without one
            issued.expiry_date = obj.expiry_date
            issued.save(update_fields=["expiry_date"])
        obj.pk, obj.prefix = issued.pk, issued.prefix  # what the admin's messages and log show
        messages.warning(
            request,
            f"The API key for {obj.organization} is: {key} — copy it now, it will not be "
            "shown again (only its hash is stored).",
        )


# --- ARKs -------------------------------------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """Counting a million rows on every page load is the slow part of an admin list page.

    Unfiltered lists on PostgreSQL use the planner's row estimate; filtered ones count at most
    ``cap`` rows, so the page stays fast and the pager still works (it shows the cap).
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if connection.vendor == "postgresql" and not qs.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                    [qs.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.cap:
                return int(row[0])
        return qs[: self.cap + 1].count()


class NaanFilter(admin.SimpleListFilter):
    title = "NAAN"
    parameter_name = "naan"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(n, n) for n in Naan.objects.values_list("naan", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ark]) -> QuerySet[Ark]:
        return queryset.filter(naan=self.value()) if self.value() else queryset


class ShoulderFilter(admin.SimpleListFilter):
    title = "shoulder"
    parameter_name = "shoulder"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(s.pk), str(s)) for s in Shoulder.objects.select_related("naan")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ark]) -> QuerySet[Ark]:
        try:
            return queryset.filter(shoulder_id=self.value()) if self.value() else queryset
        except ValueError as exc:  # not a number: the change list says so instead of a 500
            raise IncorrectLookupParameters(exc) from None


class ArkEventInline(admin.TabularInline):
    model = ArkEvent
    fields = ["at", "actor", "action", "changes", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ArkForm(forms.ModelForm):
    actor = "admin"  # who edits: set per request by ``ArkAdmin.get_form``

    class Meta:
        model = Ark
        fields = ["state", "reason", "target", "who", "what", "when", "where"]
        widgets = {
            name: forms.TextInput(attrs={"size": 80}) for name in ["target", "who", "when", "where"]
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services.check_ark_update(
                ark=self.instance,
                actor=self.actor,
                **{k: data[k] for k in data if k in self.changed_data},
            )
        except IdentifierError as exc:
            if exc.field and exc.field not in self.fields:
                raise ValidationError(exc.message) from None
            raise as_validation_error(exc) from None
        return data


@admin.register(Ark)
class ArkAdmin(admin.ModelAdmin):
    """Read-mostly: target, state and ERC metadata can be corrected; nothing can be deleted."""

    form = ArkForm
    list_display = ["ark", "state", "target", "owner", "updated_at"]
    list_filter = [NaanFilter, ShoulderFilter, "state"]
    list_select_related = ["owner"]
    search_fields = ["key"]
    search_help_text = "An ARK (any form; a partial ARK finds those it begins), or a target URL."
    readonly_fields = ["ark", "shoulder", "owner", "metadata", "merged_into", "created_at",
                       "updated_at"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["ark", "state", "reason", "target", "merged_into"]}),
        ("Metadata (ERC)", {"fields": ["who", "what", "when", "where", "metadata"]}),
        ("Ownership", {"fields": ["shoulder", "owner", "created_at", "updated_at"]}),
    ]
    inlines = [ArkEventInline]
    paginator = EstimatedCountPaginator
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts scan the whole table
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # ARKs are minted through the API or `manage.py mint`

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": actor(request)})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ark], search_term: str
    ) -> tuple[QuerySet[Ark], bool]:
        """Index-friendly search: an ARK prefix on ``key`` or a URL prefix on ``target``."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.lower().startswith(("http://", "https://")) and "/ark:" not in term.lower():
            return queryset.filter(target__startswith=term), False
        try:
            key = normalize(term if "ark:" in term.lower() else f"ark:{term}")
        except InvalidArk as exc:
            messages.warning(request, f"Not an ARK: {exc}")
            return queryset.none(), False
        return queryset.filter(key__startswith=key), False

    def save_model(self, request: HttpRequest, obj: Ark, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.update_ark(ark=obj, actor=actor(request), **changes)


@admin.register(RegistryNaan)
class RegistryNaanAdmin(admin.ModelAdmin):
    """Copied from the public registry by ``manage.py import_naans``: read-only here."""

    list_display = ["naan", "shoulder", "name", "acronym", "where", "target", "imported_at"]
    search_fields = ["naan", "name", "acronym"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
