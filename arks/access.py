"""Who may read and write which ARKs: the rules every write in ``arks.services`` checks, and the
API's reads ask.

- An organisation (through an API key) acts on the shoulders delegated to it and on every
  shoulder of the NAANs it holds; an ARK outside any shoulder (registered, not minted) belongs
  to its owner and to its NAAN's holder.
- The ARKs of aggregated works belong to this node. They are written only by the aggregation
  pipeline and its curators (``Actor(writes_works=True)``); no API key writes one, not even the
  NAAN holder's or the node's own, so what a work's ARK says always follows from its records and
  the curators' decisions. Public works are public: any key may read their ARKs.
- What a key may not read does not exist for it: the same ``NotFound`` as an unknown ARK, so
  that a reserved ARK's existence is not revealed to another organisation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings

from arks.domain import ark as arkdomain
from arks.errors import NotFound, NotPermitted, WorkArkProtected
from arks.models import Ark, Naan, Organization, Shoulder


@dataclass(frozen=True)
class Actor:
    """Who writes: ``name`` is how the ARK history names them.

    ``organization`` is set for an organisation's API key, whose writes are limited to what that
    organisation holds. Without it the node itself writes (its operators on the command line and
    in the admin). ``writes_works`` is the aggregation pipeline and its curators, the only writers
    of works' ARKs.
    """

    name: str
    organization: Organization | None = None
    writes_works: bool = False

    @classmethod
    def of(cls, actor: Actor | str) -> Actor:
        """A bare name is the node's operator: not an organisation, not the works' writer."""
        return actor if isinstance(actor, Actor) else cls(name=actor)

    @classmethod
    def aggregation(cls, name: str) -> Actor:
        """The aggregation pipeline, or a curator acting through it."""
        return cls(name=name, writes_works=True)


# --- the works shoulder ------------------------------------------------------------------------


def works_shoulder_name() -> tuple[str, str]:
    """(NAAN, prefix) of ``PIDSVC_WORKS_SHOULDER``; raises ``InvalidArk`` when it is not one."""
    return _parse_shoulder(settings.PIDSVC_WORKS_SHOULDER.strip())


@functools.lru_cache(maxsize=8)
def _parse_shoulder(text: str) -> tuple[str, str]:
    parsed = arkdomain.parse(text if text.lower().startswith("ark:") else f"ark:{text}")
    return parsed.naan, parsed.name


def is_works_shoulder(shoulder: Shoulder | None) -> bool:
    if shoulder is None:
        return False
    try:
        naan, prefix = works_shoulder_name()
    except arkdomain.InvalidArk:
        return False  # a broken setting: dedup says so; it makes no shoulder the works'
    return shoulder.prefix == prefix and shoulder.naan.naan == naan


def is_work_ark(ark: Ark) -> bool:
    """Minted under the works shoulder, or the ARK of a work this node minted (under a former
    works shoulder, say); an institution's ARK that a work adopted is not one."""
    if is_works_shoulder(ark.shoulder):
        return True
    return Ark.objects.filter(pk=ark.pk, work__adopted=False).exists()


def node_organization() -> Organization | None:
    """The organisation that stands for this node (it holds the works shoulder)."""
    return Organization.objects.filter(is_node=True).first()


# --- organisations' scope ------------------------------------------------------------------------


def may_use_shoulder(organization: Organization, shoulder: Shoulder) -> bool:
    return organization.pk in (shoulder.organization_id, shoulder.naan.holder_id)


def may_act_on(organization: Organization, ark: Ark) -> bool:
    if ark.shoulder is not None:
        return may_use_shoulder(organization, ark.shoulder)
    if ark.owner_id == organization.pk:
        return True
    return Naan.objects.filter(naan=ark.naan, holder=organization).exists()


def may_read(organization: Organization, ark: Ark) -> bool:
    """Its own ARKs, and the ARKs of works that the world can already see (not reserved)."""
    if may_act_on(organization, ark):
        return True
    return ark.state != Ark.State.RESERVED and is_work_ark(ark)


def unknown_ark(key: str) -> NotFound:
    """The one answer for an ARK that is not there and one the caller may not see."""
    return NotFound(f"{key} is not known here", field="ark")


def unknown_shoulder(text: str) -> NotFound:
    return NotFound(f"no shoulder {text} here that your key may use", field="shoulder")


# --- the checks of writes ------------------------------------------------------------------------


def check_write(actor: Actor, ark: Ark) -> None:
    """Raise unless ``actor`` may change ``ark`` (its target, data, state or what it resolves
    through)."""
    org = actor.organization
    if org is not None and not may_read(org, ark):
        raise unknown_ark(ark.key)
    if not actor.writes_works and is_work_ark(ark):
        raise WorkArkProtected(
            f"{ark.ark} is the ARK of an aggregated work; it is written only by the aggregation "
            "pipeline and curators (merge and split the works in the admin)",
            field="ark",
        )
    if org is not None and not may_act_on(org, ark):
        raise unknown_ark(ark.key)  # pragma: no cover - readable by others means a work's ARK


def check_mint(actor: Actor, shoulder: Shoulder) -> None:
    """Raise unless ``actor`` may mint under ``shoulder``."""
    if not actor.writes_works and is_works_shoulder(shoulder):
        raise WorkArkProtected(
            f"{shoulder} is the shoulder of aggregated works; its ARKs are minted only by the "
            "aggregation pipeline",
            field="shoulder",
        )
    if actor.organization is not None and not may_use_shoulder(actor.organization, shoulder):
        raise NotPermitted(
            f"{shoulder} is delegated to another organisation; your key may not use it",
            field="shoulder",
        )
