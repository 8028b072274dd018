"""Reads of the identifier layer: finding ARKs, shoulders and NAANs from what people type."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from arks.domain import ark as arkdomain
from arks.domain import noid
from arks.domain.naan_registry import NaanRecord, expand_target
from arks.errors import NotFound
from arks.models import Ark, ArkEvent, Naan, Organization, RegistryNaan, Shoulder


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


# --- resolution -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """What a resolver request names, found with as few queries as possible.

    ``kind`` is one of: ``ark`` (a stored ARK, exactly or through suffix passthrough),
    ``shoulder`` (the request names a shoulder of a NAAN served here), ``unknown`` (a NAAN served
    here, an ARK it does not know), ``forward`` (a NAAN served elsewhere: ``forward_url``).
    """

    kind: str
    requested: arkdomain.Ark | None
    ark: Ark | None = None
    survivor: Ark | None = None
    suffix: str = ""
    naan: Naan | None = None
    shoulder: Shoulder | None = None
    forward_url: str = ""
    forward_status: int = 302


def resolve(text: str) -> Resolution:
    """Resolve an ARK as requested: the exact ARK, else the longest stored ancestor (suffix
    passthrough), else what the NAAN says.

    One query for the common case: the request's normal form and every ancestor go in one
    ``key IN (…)`` lookup on the unique index (ARK spec, "ARKs that Reveal Object Hierarchy").
    Raises ``InvalidArk`` for anything that is not an ARK.
    """
    requested = arkdomain.parse(text)
    key = str(requested)
    found = list(
        Ark.objects.filter(key__in=[key, *requested.ancestors()]).select_related(
            "merged_into", "shoulder__naan"
        )
    )
    if found:
        ark = max(found, key=lambda a: len(a.key))
        suffix = "" if ark.key == key else _suffix_after(_as_received(text), len(ark.key))
        return Resolution("ark", requested, ark=ark, survivor=_survivor(ark), suffix=suffix)
    return _not_stored(requested, as_received=_as_received(text))


def resolve_naan(naan_text: str) -> Resolution:
    """A request for a NAAN alone (``ark:NAAN``): its page here, or where it is served."""
    naan_code = naan_text.replace("-", "").lower()
    if not arkdomain.is_betanumeric(naan_code):
        raise arkdomain.InvalidArk(f"{naan_text!r} is not a NAAN (betanumeric characters only)")
    naan = Naan.objects.select_related("holder").filter(naan=naan_code).first()
    if naan is not None and naan.served:
        return Resolution("naan", None, naan=naan)
    url, status = _forwarding(naan_code, "", naan, as_received=f"ark:{naan_code}")
    return Resolution("forward", None, naan=naan, forward_url=url, forward_status=status)


def _as_received(text: str) -> str:
    """The request in normal form but with its hyphens: what suffixes and forwarding pass on."""
    return arkdomain.normalize(text, keep_hyphens=True)


def _survivor(ark: Ark) -> Ark:
    """Follow ``merged_into`` to the ARK that stands for this one today."""
    survivor, seen = ark, {ark.pk}
    while survivor.merged_into_id is not None:
        nxt = survivor.merged_into if survivor is ark else None
        survivor = nxt or Ark.objects.select_related("shoulder__naan").get(
            pk=survivor.merged_into_id
        )
        if survivor.pk in seen:  # pragma: no cover - merges keep chains acyclic
            break
        seen.add(survivor.pk)
    return survivor


def _suffix_after(as_received: str, key_length: int) -> str:
    """The part of the request beyond a stored ancestor whose hyphen-free key has ``key_length``
    characters, taken from the request as received (hyphens and all: appended verbatim)."""
    counted = 0
    for index, char in enumerate(as_received):
        if counted == key_length:
            return as_received[index:]
        counted += char != "-"
    return ""


def _not_stored(requested: arkdomain.Ark, *, as_received: str) -> Resolution:
    naan = Naan.objects.select_related("holder").filter(naan=requested.naan).first()
    if naan is not None and naan.served:
        shoulders = list(naan.shoulders.select_related("organization"))
        shoulder = _longest_shoulder(shoulders, requested.name)
        exact = shoulder is not None and shoulder.prefix == requested.name
        kind = "shoulder" if exact and not requested.qualifier else "unknown"
        return Resolution(kind, requested, naan=naan, shoulder=shoulder)
    url, status = _forwarding(requested.naan, requested.name, naan, as_received=as_received)
    return Resolution("forward", requested, naan=naan, forward_url=url, forward_status=status)


def _longest_shoulder(shoulders: list[Shoulder], name: str) -> Shoulder | None:
    matching = [s for s in shoulders if name.startswith(s.prefix)]
    return max(matching, key=lambda s: len(s.prefix), default=None)


def _forwarding(
    naan_code: str, name: str, naan: Naan | None, *, as_received: str
) -> tuple[str, int]:
    """Where a NAAN this node does not serve is resolved: this node's NAAN table first, then the
    imported public registry (shoulder records before NAAN records), else the fallback resolver
    (ARK spec, "Resolver Chains and Roles": unknown NAANs go to N2T)."""
    if naan is not None and naan.forward_to:
        template = naan.forward_to
        where = "" if "$" in template else template
        return expand_target(template if "$" in template else "", ark=as_received, where=where), 302
    for record in RegistryNaan.objects.filter(naan=naan_code).order_by("-shoulder"):
        if record.shoulder and not name.startswith(record.shoulder):
            continue
        try:
            return expand_target(_as_record(record), ark=as_received), _code(record)
        except ValueError:
            continue  # an unusable registry entry: try the next, then the fallback
    return f"{settings.PIDSVC_FALLBACK_RESOLVER}{as_received}", 302


def _as_record(row: RegistryNaan) -> NaanRecord:
    return NaanRecord(
        naan=row.naan, shoulder=row.shoulder, name=row.name, acronym=row.acronym,
        where=row.where, target=row.target, http_code=row.http_code, registered=row.registered,
        org_type=row.org_type, policy=row.policy, tenure=row.tenure, policy_url=row.policy_url,
        test_identifier=row.test_identifier,
    )  # fmt: skip


def _code(record: RegistryNaan) -> int:
    return record.http_code if record.http_code in (301, 302, 303, 307, 308) else 302


def normalize_request(text: str) -> str:
    """What someone typed or pasted, as the compact ARK to look up (raises ``InvalidArk``)."""
    return arkdomain.normalize(text if "ark" in text.lower() else f"ark:{text}", keep_hyphens=True)


def served_naans() -> QuerySet[Naan]:
    return Naan.objects.filter(served=True).select_related("holder")
