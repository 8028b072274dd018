"""Writes of the identifier layer: every change to NAANs, shoulders, ARKs and keys goes here.

Each function is keyword-only, runs in one transaction and writes the ``ArkEvent`` history of what
it changed. Entry points (admin, API, commands, tasks) call these and carry no rules of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from arks import access, bulk
from arks.access import Actor
from arks.domain import ark as arkdomain
from arks.domain import noid
from arks.domain.ark import is_betanumeric
from arks.domain.naan_registry import NaanRecord, expand_target
from arks.domain.target import BadTarget, normalise_target
from arks.errors import (
    ArkConflict,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidStateChange,
    InvalidTarget,
    InvalidTemplateError,
    MergeRefused,
    ShoulderConflict,
    ShoulderUnavailable,
)
from arks.models import (
    ApiKey,
    Ark,
    ArkEvent,
    IdempotencyRecord,
    Naan,
    Organization,
    RegistryNaan,
    Shoulder,
)

__all__ = ["Actor"]  # writers name themselves with an Actor (or, for the node's operator, a name)

MAX_TARGET_LENGTH: Final = 2000
MAX_ERC_LENGTH: Final = 10_000
MAX_METADATA_BYTES: Final = 64 * 1024
MAX_BATCH: Final = 10_000
ERC_FIELDS: Final = ("who", "what", "when", "where")
State = Ark.State


@dataclass(frozen=True)
class ArkData:
    """What an ARK is bound to: its target, state and metadata (ERC kernel plus more)."""

    target: str = ""
    state: str | None = None  # None: public with a target, else reserved (``initial_state``)
    who: str = ""
    what: str = ""
    when: str = ""
    where: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def validated(self) -> ArkData:
        target = validate_target(self.target)
        for name in ERC_FIELDS:
            validate_erc(name, getattr(self, name))
        validate_metadata(self.metadata)
        state = initial_state(target) if self.state is None else self.state
        if state not in (State.RESERVED, State.PUBLIC):
            raise InvalidStateChange("a new ARK is either reserved or public", field="state")
        if state == State.PUBLIC and not target:
            raise InvalidStateChange("a public ARK needs a target", field="target")
        return ArkData(**{**self.__dict__, "target": target, "state": state})


def initial_state(target: str) -> str:
    """The state of a new ARK minted without one: public when it has a target, else reserved.

    EZID's rule ("Identifier status": a new identifier is public unless the request says
    reserved), and what someone who gives a target means: that the ARK should lead there.
    """
    return State.PUBLIC if target.strip() else State.RESERVED


# --- validation -------------------------------------------------------------------------------


def validate_target(url: str) -> str:
    """The target as stored (``arks.domain.target``: an absolute http(s) URL without
    credentials, its host in punycode); '' means no target yet. The one check of every path that
    stores a target: the API, the commands, the admin, the identity of works."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_TARGET_LENGTH:
        raise InvalidTarget(f"target is longer than {MAX_TARGET_LENGTH} characters", field="target")
    try:
        url = normalise_target(url)
    except BadTarget as exc:
        raise InvalidTarget(str(exc), field="target") from None
    if len(url) > MAX_TARGET_LENGTH:  # percent-encoding and punycode make it longer
        raise InvalidTarget(f"target is longer than {MAX_TARGET_LENGTH} characters", field="target")
    return url


def validate_erc(name: str, value: str) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if len(value) > MAX_ERC_LENGTH:
        raise InvalidInput(f"{name} is longer than {MAX_ERC_LENGTH} characters", field=name)
    if "\x00" in value:  # PostgreSQL text cannot hold NUL: refuse it here, not with a 500
        raise InvalidInput(f"{name} contains a NUL character", field=name)


def validate_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object", field="metadata")
    if _has_nul(metadata):  # nor can jsonb hold \u0000, in keys or values
        raise InvalidInput("metadata contains a NUL character", field="metadata")
    size = len(json.dumps(metadata, ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise InvalidInput(
            f"metadata is {size} bytes; the limit is {MAX_METADATA_BYTES}", field="metadata"
        )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def parse_template(template: str, *, prefix: str) -> noid.Template:
    try:
        return noid.Template.parse(template, prefix=prefix)
    except noid.InvalidTemplate as exc:
        raise InvalidTemplateError(str(exc), field="template") from None


def validate_shoulder(
    *, naan: Naan | None, prefix: str, template: str, others: Iterable[str] | None = None
) -> None:
    """A shoulder's prefix is betanumeric, its template valid, and it overlaps no other shoulder.

    Overlap (``b`` and ``b5`` under one NAAN) would let two shoulders mint the same name, so it is
    refused: names are never reassigned. ``others`` are the NAAN's other prefixes (default: the
    stored ones).
    """
    if not prefix or not is_betanumeric(prefix):
        raise InvalidInput(
            "the shoulder must be betanumeric (0-9 bcdfghjkmnpqrstvwxz)", field="prefix"
        )
    parse_template(template, prefix=prefix)
    if others is None:
        others = Shoulder.objects.filter(naan=naan).values_list("prefix", flat=True)
    for other in others:
        if other.startswith(prefix) or prefix.startswith(other):
            raise ShoulderConflict(
                f"shoulder {prefix!r} overlaps the shoulder {other!r} of the same NAAN",
                field="prefix",
            )


# --- organisations, NAANs, shoulders ----------------------------------------------------------


def ensure_organization(*, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise InvalidInput("an organisation needs a name", field="org")
    org, _ = Organization.objects.get_or_create(name=name)
    return org


@transaction.atomic
def register_naan(
    *, naan: str, holder: Organization, forward_to: str = "", policy_statement: str = ""
) -> Naan:
    """Create or update a NAAN; with ``forward_to`` it is served by another node."""
    naan = naan.strip().lower()
    if not naan or not is_betanumeric(naan):
        raise InvalidInput(f"{naan!r} is not a betanumeric NAAN", field="naan")
    if forward_to:
        _check_forwarding(forward_to, naan=naan)
    obj, _ = Naan.objects.update_or_create(
        naan=naan,
        defaults={
            "holder": holder,
            "served": not forward_to,
            "forward_to": forward_to,
            "policy_statement": policy_statement,
        },
    )
    return obj


def _check_forwarding(template: str, *, naan: str) -> None:
    """The template must expand to an http(s) URL, since the resolver redirects to it."""
    try:
        expand_target(template, ark=f"ark:{naan}/test", where=template)
    except ValueError as exc:
        raise InvalidTarget(f"forward_to: {exc}", field="forward_to") from None


@transaction.atomic
def delegate_shoulder(
    *,
    naan: Naan,
    prefix: str,
    organization: Organization,
    template: str = "zeedk",
    is_test: bool = False,
    persistence_statement: str = "",
) -> Shoulder:
    """Delegate a new shoulder of ``naan`` to ``organization``.

    The works shoulder (``PIDSVC_WORKS_SHOULDER``) goes only to this node's organisation; the
    first organisation it is delegated to becomes that, when the node has none yet.
    """
    # Lock the NAAN so two concurrent delegations cannot both pass the overlap check.
    Naan.objects.select_for_update().filter(pk=naan.pk).first()
    validate_shoulder(naan=naan, prefix=prefix, template=template)
    if access.is_works_shoulder(Shoulder(naan=naan, prefix=prefix)):
        organization = become_node(organization)
    return Shoulder.objects.create(
        naan=naan,
        prefix=prefix,
        organization=organization,
        template=template,
        is_test=is_test or naan.naan == "99999",
        persistence_statement=persistence_statement,
    )


def check_shoulder_holder(*, shoulder: Shoulder, organization: Organization) -> None:
    """An existing shoulder may move to another organisation, except the works shoulder, which
    stays with this node's organisation (forms call this before saving)."""
    if access.is_works_shoulder(shoulder):
        node = access.node_organization()
        if node is not None and organization.pk != node.pk:
            raise _not_the_node(str(shoulder), organization, node)


def _not_the_node(shoulder: str, organization: Organization, node: Organization) -> Exception:
    return InvalidInput(
        f"{shoulder} is the shoulder of aggregated works (PIDSVC_WORKS_SHOULDER): it is held by "
        f"this node's organisation, {node.name}, not by {organization.name}",
        field="organization",
    )


def become_node(organization: Organization) -> Organization:
    """Make ``organization`` this node's own (the holder of the works shoulder), when the node
    has none yet; refused when another organisation is already."""
    node = access.node_organization()
    if node is None:
        Organization.objects.filter(pk=organization.pk).update(is_node=True)
        organization.is_node = True
        return organization
    if node.pk != organization.pk:
        naan, prefix = access.works_shoulder_name()
        raise _not_the_node(f"ark:{naan}/{prefix}", organization, node)
    return organization


NODE_NAME: Final = "This node"  # the node's organisation when one must be created unnamed


@transaction.atomic
def hold_works_shoulder(*, shoulder: Shoulder, actor: Actor | str) -> Shoulder:
    """Give the works shoulder, and the ARKs its holder owns under it, to this node's
    organisation (created as ``NODE_NAME`` when there is none); no-op when it holds them.

    A node set up before works belonged to the node had the shoulder delegated to an
    institution, whose keys could then rewrite the works' ARKs.
    """
    node = access.node_organization()
    if node is None:
        node, _ = Organization.objects.get_or_create(name=NODE_NAME)
        if node.arks.exists() or node.api_keys.exists():
            raise InvalidInput(
                f"the works shoulder {shoulder} is held by {shoulder.organization.name}, not by "
                f"this node's organisation, and none is set: delegate the works shoulder to it "
                f"(an organisation named {NODE_NAME!r} already exists and is not it)",
                field="organization",
            )
        node = become_node(node)
    locked = Shoulder.objects.select_for_update().select_related("naan").get(pk=shoulder.pk)
    if locked.organization_id == node.pk:
        return locked
    former = locked.organization
    name = Actor.of(actor).name
    now = timezone.now()
    owned = Ark.objects.filter(shoulder=locked, owner=former)
    bulk.insert(
        [
            ArkEvent(
                ark_id=pk, at=now, actor=name, action=ArkEvent.Action.UPDATE,
                changes={"owner": [former.name, node.name]},
                note="the ARKs of aggregated works belong to this node",
            )
            for pk in owned.values_list("pk", flat=True).iterator()
        ]
    )  # fmt: skip
    owned.update(owner=node, updated_at=now)
    locked.organization = node
    locked.save(update_fields=["organization"])
    return locked


# --- minting ----------------------------------------------------------------------------------


def mint(
    *, shoulder: Shoulder, actor: Actor | str, data: ArkData | None = None, count: int = 1
) -> list[Ark]:
    """Mint ``count`` ARKs under ``shoulder``, all bound to the same ``data``."""
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"count must be between 1 and {MAX_BATCH}", field="count")
    checked = (data or ArkData()).validated()
    return _mint(shoulder=shoulder, actor=actor, items=[checked] * count)


def mint_each(*, shoulder: Shoulder, actor: Actor | str, items: Sequence[ArkData]) -> list[Ark]:
    """Mint one ARK per item, each with its own data; all or nothing."""
    if not 1 <= len(items) <= MAX_BATCH:
        raise InvalidInput(f"between 1 and {MAX_BATCH} items at once", field="items")
    return _mint(shoulder=shoulder, actor=actor, items=[item.validated() for item in items])


@transaction.atomic
def _mint(*, shoulder: Shoulder, actor: Actor | str, items: Sequence[ArkData]) -> list[Ark]:
    writer = Actor.of(actor)
    access.check_mint(writer, shoulder)
    if not shoulder.is_active:
        raise ShoulderUnavailable(f"shoulder {shoulder} is not active", field="shoulder")
    template = parse_template(shoulder.template, prefix=shoulder.prefix)
    naan = shoulder.naan.naan
    start = _take_counter(shoulder, len(items), capacity=template.capacity)
    now = timezone.now()
    arks = []
    for offset, item in enumerate(items):
        name = template.name(start + offset, naan=naan)
        text = f"ark:{naan}/{name}"
        arks.append(_new_ark(text, naan=naan, shoulder=shoulder, item=item, now=now))
    bulk.insert(arks)
    bulk.insert(
        [
            ArkEvent(
                ark_id=a.pk,
                at=now,
                actor=writer.name,
                action=ArkEvent.Action.MINT,
                changes=_snapshot(a),
            )
            for a in arks
        ]
    )
    return arks


def _take_counter(shoulder: Shoulder, n: int, *, capacity: int | None) -> int:
    """Reserve counter values [start, start + n) atomically and return ``start``.

    The UPDATE takes the row's write lock before anything is read, so parallel minters on
    PostgreSQL (row lock) and SQLite (database lock) queue here and never see the same counter.
    """
    table = connection.ops.quote_name(Shoulder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET counter = counter + %s WHERE id = %s RETURNING counter",  # noqa: S608
            [n, shoulder.pk],
        )
        (end,) = cursor.fetchone()
    shoulder.counter = end
    if capacity is not None and end > capacity:
        left = max(capacity - (end - n), 0)
        raise ShoulderUnavailable(
            f"shoulder {shoulder} has {left} names left; {n} were asked for", field="shoulder"
        )
    return end - n


def _new_ark(
    text: str,
    *,
    naan: str,
    shoulder: Shoulder | None,
    item: ArkData,
    now: Any,
    owner: Organization | None = None,
) -> Ark:
    return Ark(
        ark=text,
        key=text,  # NOID names hold no hyphens: the display form is the key
        naan=naan,
        shoulder=shoulder,
        owner_id=owner.pk if owner else shoulder.organization_id,
        state=item.state,
        target=item.target,
        who=item.who,
        what=item.what,
        when=item.when,
        where=item.where,
        metadata=item.metadata,
        created_at=now,
        updated_at=now,
    )


def _snapshot(ark: Ark) -> dict[str, Any]:
    fields = ("state", "target", *ERC_FIELDS, "metadata")
    return {name: [None, getattr(ark, name)] for name in fields if getattr(ark, name)}


@transaction.atomic
def register_ark(
    *, text: str, owner: Organization, actor: Actor | str, data: ArkData | None = None
) -> Ark:
    """Bring an ARK that was not minted here under this node's care (a NAAN holder moving its
    existing ARKs, hyphens and qualifiers included, to this resolver).

    The NAAN must be served here; the ARK joins the longest shoulder its name starts with.
    """
    display = arkdomain.normalize(text, keep_hyphens=True)
    parsed = arkdomain.parse(text)
    naan = Naan.objects.filter(naan=parsed.naan, served=True).first()
    if naan is None:
        raise InvalidInput(f"NAAN {parsed.naan} is not served by this node", field="ark")
    key = str(parsed)
    if Ark.objects.filter(key=key).exists():
        raise ArkConflict(f"{key} is already registered", field="ark")
    shoulders = [s for s in naan.shoulders.all() if parsed.name.startswith(s.prefix)]
    shoulder = max(shoulders, key=lambda s: len(s.prefix), default=None)
    item = (data or ArkData()).validated()
    ark = _new_ark(
        display, naan=naan.naan, shoulder=shoulder, owner=owner, item=item, now=timezone.now()
    )
    ark.key = key
    ark.save(force_insert=True)
    ArkEvent.objects.create(
        ark=ark, at=ark.created_at, actor=Actor.of(actor).name, action=ArkEvent.Action.MINT,
        changes=_snapshot(ark), note="registered an existing ARK",
    )  # fmt: skip
    return ark


# --- changing ARKs ----------------------------------------------------------------------------

UNSET: Final = object()

# Allowed state changes. Public never goes back to reserved: once the world has seen an ARK, it
# must keep resolving (to its target or its tombstone).
_TRANSITIONS: Final = {
    (State.RESERVED, State.PUBLIC),
    (State.RESERVED, State.UNAVAILABLE),
    (State.PUBLIC, State.UNAVAILABLE),
    (State.UNAVAILABLE, State.PUBLIC),
}


@transaction.atomic
def update_ark(*, ark: Ark, actor: Actor | str, note: str = "", **changes: Any) -> Ark:
    """Change target, ERC metadata, ``metadata``, ``state`` and ``reason``; record what changed.

    Fields left out are left alone. Nothing happens (and no event is written) when the values
    equal the stored ones, so retrying an update is harmless.
    """
    writer = Actor.of(actor)
    locked = _locked(ark)
    new = check_ark_update(ark=locked, actor=writer, **changes)
    diff = {k: [getattr(locked, k), v] for k, v in new.items() if getattr(locked, k) != v}
    if not diff:
        return locked
    for name, (_, value) in diff.items():
        setattr(locked, name, value)
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*diff, "updated_at"])
    ArkEvent.objects.create(
        ark=locked,
        at=locked.updated_at,
        actor=writer.name,
        action=_action(diff),
        changes=diff,
        note=note,
    )
    return locked


def _locked(ark: Ark) -> Ark:
    """``ark`` as stored, its row locked until the transaction ends (and its shoulder read, which
    the permission check needs)."""
    return (
        Ark.objects.select_for_update(of=("self",)).select_related("shoulder__naan").get(pk=ark.pk)
    )


def check_ark_update(*, ark: Ark, actor: Actor | str, **changes: Any) -> dict[str, Any]:
    """Check that ``actor`` may make the update and validate it, without writing it (forms use
    it to show errors next to fields)."""
    access.check_write(Actor.of(actor), ark)
    unknown = set(changes) - {"target", "state", "reason", "metadata", *ERC_FIELDS}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    return _validated_changes(ark, changes)


def _validated_changes(ark: Ark, changes: dict[str, Any]) -> dict[str, Any]:
    new = dict(changes)
    if "target" in new:
        new["target"] = validate_target(new["target"])
    for name in ERC_FIELDS:
        if name in new:
            validate_erc(name, new[name])
    if "metadata" in new:
        validate_metadata(new["metadata"])
    state = new.get("state", ark.state)
    if state != ark.state and (ark.state, state) not in _TRANSITIONS:
        raise InvalidStateChange(f"an ARK cannot go from {ark.state} to {state}", field="state")
    if state == State.PUBLIC and not new.get("target", ark.target):
        raise InvalidStateChange("a public ARK needs a target", field="target")
    if state == State.UNAVAILABLE and not new.get("reason", ark.reason).strip():
        raise InvalidStateChange("withdrawing an ARK needs a reason", field="reason")
    if state != State.UNAVAILABLE and state != ark.state:
        new.setdefault("reason", "")
    return new


def _action(diff: dict[str, Any]) -> str:
    if "state" in diff and diff["state"][1] == State.UNAVAILABLE:
        return ArkEvent.Action.TOMBSTONE
    if set(diff) <= {"state", "reason"}:
        return ArkEvent.Action.STATE
    return ArkEvent.Action.UPDATE


def tombstone(*, ark: Ark, actor: Actor | str, reason: str) -> Ark:
    """Withdraw an ARK: it keeps resolving, to a 410 page with its last metadata and ``reason``."""
    return update_ark(ark=ark, actor=actor, state=State.UNAVAILABLE, reason=reason)


@transaction.atomic
def merge(*, ark: Ark, into: Ark, actor: Actor | str, note: str = "") -> Ark:
    """Make ``ark`` an alias of ``into``: it resolves through its survivor from now on."""
    survivor = Ark.objects.get(pk=into.pk)  # the stored chain, not a possibly stale instance
    seen = {into.pk}
    while survivor.merged_into_id is not None:
        survivor = Ark.objects.get(pk=survivor.merged_into_id)
        if survivor.pk in seen:  # pragma: no cover - the chain is kept acyclic below
            break
        seen.add(survivor.pk)
    if ark.pk in seen:
        raise MergeRefused(f"{into} is {ark} or resolves through it", field="into")
    return _point(ark, survivor, actor=actor, note=note)


@transaction.atomic
def unmerge(*, ark: Ark, actor: Actor | str, note: str = "") -> Ark:
    """Give a merged ARK its own identity back (a work that was merged, then split apart again):
    it stops resolving through its survivor. The merge stays in its history."""
    return _point(ark, None, actor=actor, note=note)


def _point(ark: Ark, survivor: Ark | None, *, actor: Actor | str, note: str) -> Ark:
    """Set what ``ark`` resolves through (``None``: itself) and record it; no-op if unchanged."""
    writer = Actor.of(actor)
    locked = _locked(ark)
    access.check_write(writer, locked)
    if locked.merged_into_id == (survivor.pk if survivor else None):
        return locked
    diff = {"merged_into": [_ark_text(locked.merged_into_id), survivor.ark if survivor else None]}
    locked.merged_into = survivor
    locked.updated_at = timezone.now()
    locked.save(update_fields=["merged_into", "updated_at"])
    action = ArkEvent.Action.MERGE if survivor else ArkEvent.Action.UNMERGE
    ArkEvent.objects.create(
        ark=locked, at=locked.updated_at, actor=writer.name, action=action, changes=diff, note=note
    )
    return locked


def _ark_text(pk: int | None) -> str | None:
    return None if pk is None else Ark.objects.values_list("ark", flat=True).get(pk=pk)


# --- API keys ---------------------------------------------------------------------------------


def issue_api_key(*, organization: Organization, name: str) -> tuple[ApiKey, str]:
    """A new key for ``organization``; the returned plain key is not stored and cannot be shown
    again."""
    api_key, key = ApiKey.objects.create_key(name=name or "API key", organization=organization)
    return api_key, key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
    return api_key


# --- the public NAAN registry -----------------------------------------------------------------


@transaction.atomic
def import_registry(records: Iterable[NaanRecord]) -> tuple[int, int]:
    """Upsert registry records by (NAAN, shoulder); returns (created, updated)."""
    created = updated = 0
    now = timezone.now()
    for record in records:
        _, was_created = RegistryNaan.objects.update_or_create(
            naan=record.naan,
            shoulder=record.shoulder,
            defaults={**_registry_fields(record), "imported_at": now},
        )
        created += was_created
        updated += not was_created
    return created, updated


def _registry_fields(record: NaanRecord) -> dict[str, Any]:
    return {
        "name": record.name[:300],
        "acronym": record.acronym[:100],
        "where": record.where[:500],
        "target": record.target[:500],
        "http_code": record.http_code,
        "registered": record.registered,
        "org_type": record.org_type[:16],
        "policy": record.policy[:200],
        "tenure": record.tenure[:100],
        "policy_url": record.policy_url[:500],
        "test_identifier": record.test_identifier[:500],
    }


# --- the API: key use and idempotent requests -------------------------------------------------

KEY_USE_INTERVAL: Final = timedelta(minutes=1)


def touch_api_key(*, api_key: ApiKey) -> None:
    """Note when ``api_key`` was last used, at most once a minute: requests read the key anyway,
    but writing it on every one would make all of a client's requests contend for one row."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < KEY_USE_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - KEY_USE_INTERVAL)
    ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


@dataclass(frozen=True)
class Answer:
    """An API answer: its HTTP status and JSON body; ``replayed`` when it is a stored first one."""

    status: int
    body: Any
    replayed: bool = False


def answer_once(
    *,
    api_key: ApiKey,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    produce: Callable[[], tuple[int, Any]],
) -> Answer:
    """Run ``produce`` (which writes, e.g. mints) once per ``(api_key, key)`` and replay its
    answer for every repeat of the same request.

    The answer is stored in the transaction that ``produce`` writes in: a request either minted
    and left its answer, or did neither. Two identical requests at once both run; the second's
    insert of the record fails on the unique constraint (PostgreSQL makes it wait for the first
    to commit), which rolls back its work, and it replays the first's answer instead. A key that
    comes back with a different request (another ``fingerprint``) is refused.
    """
    try:
        with transaction.atomic():
            first = _recorded(api_key, key)
            if first is not None:
                return _replay(first, fingerprint)
            status, body = produce()
            IdempotencyRecord.objects.create(
                api_key=api_key, key=key, method=method, path=path,
                fingerprint=fingerprint, status=status, body=body,
            )  # fmt: skip
            return Answer(status, body)
    except IntegrityError:
        first = _recorded(api_key, key)
        if first is None:
            raise  # not the idempotency record's constraint: a real integrity problem
        return _replay(first, fingerprint)


def _recorded(api_key: ApiKey, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Answer:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"this Idempotency-Key was used at {record.created_at.isoformat()} for another "
            f"request ({record.method} {record.path} with a different body); use a new key for "
            "a new request",
            field="Idempotency-Key",
        )
    return Answer(record.status, record.body, replayed=True)


def purge_idempotency_records(*, older_than: timedelta | None = None) -> int:
    """Forget answers older than ``PIDSVC_IDEMPOTENCY_HOURS``; returns how many were removed."""
    age = older_than or timedelta(hours=settings.PIDSVC_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - age).delete()
    return deleted
