"""Reads of the identifier layer: finding ARKs, shoulders and NAANs from what people type."""

from __future__ import annotations

from django.db.models import QuerySet

from arks.domain import ark as arkdomain
from arks.domain import noid
from arks.errors import NotFound
from arks.models import Ark, ArkEvent, Naan, Organization, Shoulder


def find_ark(text: str) -> Ark:
    """The stored ARK equivalent to ``text`` (any form: old label, resolver URL, hyphens)."""
    key = arkdomain.normalize(text)
    try:
        return Ark.objects.select_related("shoulder__naan", "owner").get(key=key)
    except Ark.DoesNotExist:
        raise NotFound(f"{key} is not known here", field="ark") from None


def find_shoulder(text: str) -> Shoulder:
    """The shoulder named by ``ark:NAAN/PREFIX`` (or ``NAAN/PREFIX``)."""
    if "ark:" not in text.lower() and "ark%3a" not in text.lower():
        text = "ark:" + text
    parsed = arkdomain.parse(text)
    try:
        return Shoulder.objects.select_related("naan", "organization").get(
            naan__naan=parsed.naan, prefix=parsed.name
        )
    except Shoulder.DoesNotExist:
        raise NotFound(
            f"no shoulder ark:{parsed.naan}/{parsed.name} here", field="shoulder"
        ) from None


def find_organization(name: str) -> Organization:
    try:
        return Organization.objects.get(name=name.strip())
    except Organization.DoesNotExist:
        raise NotFound(f"no organisation named {name!r}", field="org") from None


def find_naan(naan: str) -> Naan:
    try:
        return Naan.objects.select_related("holder").get(naan=naan.strip().lower())
    except Naan.DoesNotExist:
        raise NotFound(f"NAAN {naan!r} is not registered here", field="naan") from None


def shoulder_capacity(shoulder: Shoulder) -> int | None:
    """How many names the shoulder's template allows in all; None when unbounded."""
    return noid.Template.parse(shoulder.template, prefix=shoulder.prefix).capacity


def shoulder_remaining(shoulder: Shoulder) -> int | None:
    capacity = shoulder_capacity(shoulder)
    return None if capacity is None else max(capacity - shoulder.counter, 0)


def ark_history(ark: Ark) -> QuerySet[ArkEvent]:
    return ark.events.order_by("at", "id")
