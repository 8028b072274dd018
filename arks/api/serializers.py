"""What the API accepts and what it answers.

Input serializers are strict: a field they do not know is an error (a misspelt ``tagret`` must
not be dropped in silence), and JSON types are not coerced (``"5"`` is not a count). Output
serializers declare their fields for the OpenAPI schema and build their answer directly, since
bulk answers hold up to 10,000 ARKs.

``metadata`` is one object: ``who``, ``what``, ``when`` and ``where`` are the ERC kernel (text,
stored in their own columns and shown on landing pages); every other key is kept as given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from arks import selectors, services
from arks.api import pagination
from arks.errors import IdentifierError, InvalidCursor, InvalidInput
from arks.models import Ark, ArkEvent, Naan, Shoulder
from arks.representations import public_url

ERC_FIELDS: Final = services.ERC_FIELDS
NEW_STATES: Final = (Ark.State.RESERVED.value, Ark.State.PUBLIC.value)
MAX_SHOULDER_LENGTH: Final = 300
MAX_REASON_LENGTH: Final = 10_000
MAX_DEPTH: Final = 16
# What PostgreSQL cannot store in text or jsonb, nor UTF-8 encode: NUL and unpaired surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# --- fields -----------------------------------------------------------------------------------


class TextField(serializers.CharField):
    """A JSON string, never a number turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CursorField(serializers.CharField):
    """A list's ``cursor``, checked whole here so that every bad one, blank or too long too, is
    the one error ``invalid_cursor`` (:mod:`arks.api.pagination` decodes it)."""

    default_error_messages = {"invalid_cursor": pagination.CURSOR_MESSAGE}

    def __init__(self) -> None:
        super().__init__(
            required=False, allow_blank=True, trim_whitespace=False,
            help_text="From next or previous.",
        )  # fmt: skip

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_cursor")
        try:
            pagination.decode(data)
        except InvalidCursor:
            self.fail("invalid_cursor")
        return data


class WholeNumberField(serializers.IntegerField):
    """A JSON integer, never a string or a float that looks like one."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string: digits only (``5.0`` or `` 5`` are not integers)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,9}", data):
            self.fail("invalid")
        return super().to_internal_value(data)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class TimestampField(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset, as the schema says (``2024-05-01T12:00:00Z``)."""

    default_error_messages = {
        "invalid": "must be a date and time with its offset, e.g. 2024-05-01T12:00:00Z"
    }

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str) or not _RFC3339.fullmatch(value):
            self.fail("invalid")
        try:
            return datetime.fromisoformat(value.upper()).astimezone(UTC)
        except (ValueError, OverflowError):  # February 30th; year 1 at +14:00
            self.fail("invalid")


class StateField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "must be one of: {choices}"}

    def __init__(self, *, choices: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(choices=choices, **kwargs)
        self.error_messages["invalid_choice"] = f"must be one of: {', '.join(choices)}"

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input="")
        return super().to_internal_value(data)


def metadata_schema(*, output: bool = False) -> dict[str, Any]:
    text = {"type": "string", "maxLength": services.MAX_ERC_LENGTH}
    schema: dict[str, Any] = {
        "type": "object",
        "description": (
            "who, what, when and where (the ERC kernel: text) and any other keys, kept as given "
            f"(besides the kernel at most {services.MAX_METADATA_BYTES} bytes of JSON, nested at "
            f"most {MAX_DEPTH} deep; no NUL characters)."
        ),
        "properties": dict.fromkeys(ERC_FIELDS, text),
        "additionalProperties": True,
    }
    if output:
        schema["required"] = list(ERC_FIELDS)
    return schema


@extend_schema_field(metadata_schema())
class MetadataField(serializers.Field):
    """``metadata`` in: checked, then split into (ERC kernel, everything else)."""

    def to_internal_value(self, data: Any) -> tuple[dict[str, str], dict[str, Any]]:
        problem = metadata_problem(data)
        if problem is not None:
            where, message = problem
            raise serializers.ValidationError({where: [message]} if where else [message])
        return split_metadata(data)

    def to_representation(self, value: Any) -> Any:
        return value


def metadata_problem(value: Any) -> tuple[str, str] | None:
    """The first thing wrong with ``value`` as metadata: (path inside it, message), or None."""
    if not isinstance(value, dict):
        return "", "must be a JSON object"
    for name in ERC_FIELDS:
        text = value.get(name, "")
        if not isinstance(text, str):
            return name, "must be text"
        if len(text) > services.MAX_ERC_LENGTH:
            return name, f"is longer than {services.MAX_ERC_LENGTH} characters"
    problem = _unstorable(value)
    if problem is not None:
        return problem
    rest = {k: v for k, v in value.items() if k not in ERC_FIELDS}
    size = len(json.dumps(rest, ensure_ascii=False).encode()) if rest else 0
    if size > services.MAX_METADATA_BYTES:
        return "", (
            f"is {size} bytes of JSON besides who, what, when and where; "
            f"the limit is {services.MAX_METADATA_BYTES}"
        )
    return None


def _unstorable(value: Any) -> tuple[str, str] | None:
    """Text no database column can hold, or nesting deeper than ``MAX_DEPTH``; walked without
    recursion, so that no input can exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return path, "contains a NUL or unpaired surrogate character (cannot be stored)"
            continue
        if isinstance(item, (dict, list)) and depth >= MAX_DEPTH:
            return path, f"nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            for key, sub in item.items():
                where = f"{path}.{key[:60]}" if path else key[:60]
                if _UNSTORABLE.search(key):
                    return path, "a key contains a NUL or unpaired surrogate character"
                stack.append((sub, where, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item))
    return None


def split_metadata(value: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    erc = {name: value.get(name, "") for name in ERC_FIELDS}
    return erc, {k: v for k, v in value.items() if k not in ERC_FIELDS}


def ark_data(*, target: str, state: str | None, metadata: Any) -> services.ArkData:
    erc, rest = metadata if metadata is not None else ({}, {})
    return services.ArkData(target=target, state=state, metadata=rest, **erc)


ITEM_FIELDS: Final = frozenset({"target", "state", "metadata"})
STATE_HELP: Final = (
    "reserved (not resolvable yet) or public (needs a target); left out, public when a target "
    "is given, else reserved."
)
PUBLIC_NEEDS_TARGET: Final = "a public ARK needs a target"


def check_public_has_target(attrs: dict[str, Any]) -> None:
    """On minting this is a fault of the request (400); on a change it is a conflict with the
    ARK's state, and the service says so (409)."""
    if attrs.get("state") == Ark.State.PUBLIC and not attrs.get("target", "").strip():
        raise serializers.ValidationError({"target": PUBLIC_NEEDS_TARGET})


def bulk_item(item: Any) -> services.ArkData:
    """One item of a bulk mint, checked with plain code (10,000 of them must be cheap).

    Raises ``InvalidInput`` whose ``field`` is relative to the item.
    """
    if not isinstance(item, dict):
        raise InvalidInput("must be a JSON object", field="")
    unknown = item.keys() - ITEM_FIELDS
    if unknown:
        raise InvalidInput("unknown field", field=min(unknown)[:60])
    target = item.get("target", "")
    if not isinstance(target, str) or _UNSTORABLE.search(target):
        raise InvalidInput("must be text (an absolute http or https URL)", field="target")
    state = item.get("state")
    if state is not None and state not in NEW_STATES:
        raise InvalidInput(f"must be one of: {', '.join(NEW_STATES)}", field="state")
    metadata = item.get("metadata", {})
    problem = metadata_problem(metadata)
    if problem is not None:
        where, message = problem
        raise InvalidInput(message, field=f"metadata.{where}" if where else "metadata")
    target = services.validate_target(target)  # raises InvalidTarget naming "target"
    state = services.initial_state(target) if state is None else state
    if state == Ark.State.PUBLIC and not target:
        raise InvalidInput(PUBLIC_NEEDS_TARGET, field="target")
    # Everything ArkData.validated() checks is checked by now, naming the field; the service
    # checks it again, cheaply, as it does for every caller.
    return ark_data(target=target, state=state, metadata=split_metadata(metadata))


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": services.MAX_BATCH,
        "items": {
            "type": "object",
            "properties": {
                "target": {"type": "string", "maxLength": services.MAX_TARGET_LENGTH},
                "state": {
                    "type": "string",
                    "enum": list(NEW_STATES),
                    "description": STATE_HELP,
                },
                "metadata": metadata_schema(),
            },
            "additionalProperties": False,
        },
    }
)
class ItemsField(serializers.Field):
    """``items`` of a bulk mint: every problem found is reported with its index (up to 100)."""

    def to_internal_value(self, data: Any) -> list[services.ArkData]:
        if not isinstance(data, list):
            raise serializers.ValidationError("must be a list of objects")
        if not 1 <= len(data) <= services.MAX_BATCH:
            raise serializers.ValidationError(f"give between 1 and {services.MAX_BATCH} items")
        items, problems = [], {}
        for index, item in enumerate(data):
            try:
                items.append(bulk_item(item))
            except IdentifierError as exc:
                detail = [ErrorDetail(exc.message, code=exc.code)]
                problems[index] = {exc.field: detail} if exc.field else detail
                if len(problems) >= 100:
                    break
        if problems:
            raise serializers.ValidationError(problems)
        return items

    def to_representation(self, value: Any) -> Any:
        return value


# --- input ------------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name[:60]: [ErrorDetail("unknown field", code="unknown_field")]
                     for name in unknown}
                )  # fmt: skip
        return super().to_internal_value(data)


def _target(**kwargs: Any) -> TextField:
    return TextField(
        max_length=services.MAX_TARGET_LENGTH,
        allow_blank=True,
        help_text="Absolute http or https URL the ARK redirects to (no credentials).",
        **kwargs,
    )


def _shoulder() -> TextField:
    return TextField(
        max_length=MAX_SHOULDER_LENGTH, help_text="A shoulder your key may use: ark:99999/fk4"
    )


class MintIn(StrictSerializer):
    """One ARK to mint under a shoulder, with its target, state and metadata."""

    shoulder = _shoulder()
    target = _target(required=False, default="")
    state = StateField(choices=NEW_STATES, required=False, help_text=STATE_HELP)
    metadata = MetadataField(required=False, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        check_public_has_target(attrs)
        return attrs

    def ark_data(self) -> services.ArkData:
        data = self.validated_data
        return ark_data(target=data["target"], state=data.get("state"), metadata=data["metadata"])


class BulkIn(StrictSerializer):
    """Many ARKs under one shoulder: either count (sharing target, state and metadata) or
    items (each its own)."""

    shoulder = _shoulder()
    count = WholeNumberField(
        min_value=1,
        max_value=services.MAX_BATCH,
        required=False,
        help_text="How many ARKs, all with the same target, state and metadata.",
    )
    items = ItemsField(required=False, help_text="One ARK per item, each with its own data.")
    target = _target(required=False)
    state = StateField(choices=NEW_STATES, required=False, help_text=STATE_HELP)
    metadata = MetadataField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("count" in attrs) == ("items" in attrs):
            raise serializers.ValidationError({"count": "give either count or items, not both"})
        if "items" in attrs:
            shared = {"target", "state", "metadata"} & attrs.keys()
            if shared:
                name = sorted(shared)[0]
                raise serializers.ValidationError({name: f"with items, give {name} in each item"})
        check_public_has_target(attrs)
        return attrs

    def ark_data(self) -> services.ArkData:
        data = self.validated_data
        return ark_data(
            target=data.get("target", ""),
            state=data.get("state"),
            metadata=data.get("metadata"),
        )


class BulkCountIn(StrictSerializer):
    """count ARKs, all with the same target, state and metadata."""

    shoulder = _shoulder()
    count = WholeNumberField(min_value=1, max_value=services.MAX_BATCH)
    target = _target(required=False)
    state = StateField(choices=NEW_STATES, required=False, help_text=STATE_HELP)
    metadata = MetadataField(required=False)


class BulkItemsIn(StrictSerializer):
    """One ARK per item, each with its own target, state and metadata."""

    shoulder = _shoulder()
    items = ItemsField()


class ArkChangeIn(StrictSerializer):
    """What to change; fields left out stay as they are."""

    target = _target(required=False)
    state = StateField(
        choices=tuple(Ark.State.values),
        required=False,
        help_text="public never goes back to reserved; unavailable (withdrawn) needs a reason.",
    )
    reason = TextField(required=False, allow_blank=True, max_length=MAX_REASON_LENGTH)
    metadata = MetadataField(required=False, help_text="Replaces the whole metadata object.")

    def changes(self) -> dict[str, Any]:
        changes = dict(self.validated_data)
        if "metadata" in changes:
            erc, rest = changes.pop("metadata")
            changes.update(erc, metadata=rest)
        return changes


class WithdrawIn(StrictSerializer):
    """Why the ARK is withdrawn."""

    reason = TextField(
        max_length=MAX_REASON_LENGTH, help_text="Why the ARK is withdrawn (shown on its tombstone)."
    )


class ArkFilterQuery(StrictSerializer):
    """What the list and the export narrow the ARKs a key may read to."""

    shoulder = TextField(required=False, max_length=MAX_SHOULDER_LENGTH)
    state = StateField(choices=tuple(Ark.State.values), required=False)
    updated_since = TimestampField(
        required=False, help_text="Only ARKs changed at or after this time (RFC 3339)."
    )


class ArkListQuery(ArkFilterQuery):
    page_size = QueryIntegerField(min_value=1, max_value=1000, required=False)
    cursor = CursorField()


class ArkExportQuery(ArkFilterQuery):
    format = StateField(
        choices=("anvl", "csv", "jsonl"),
        required=False,
        help_text="anvl (ERC records, as EZID's batch download), csv or jsonl (the default).",
    )


# --- output -----------------------------------------------------------------------------------


def ark_json(ark: Ark) -> dict[str, Any]:
    metadata = {name: getattr(ark, name) for name in ERC_FIELDS}
    metadata.update((k, v) for k, v in ark.metadata.items() if k not in ERC_FIELDS)
    return {
        "ark": ark.ark,
        "url": public_url(ark.ark),
        "shoulder": str(ark.shoulder) if ark.shoulder_id else None,
        "naan": ark.naan,
        "owner": ark.owner.name,
        "state": ark.state,
        "target": ark.target,
        "reason": ark.reason,
        "metadata": metadata,
        "merged_into": ark.merged_into.ark if ark.merged_into_id else None,
        "created": ark.created_at.isoformat(),
        "updated": ark.updated_at.isoformat(),
    }


class ArkOut(serializers.Serializer):
    ark = serializers.CharField(help_text="The ARK, in its modern form ark:NAAN/NAME.")
    url = serializers.URLField(help_text="Where the ARK resolves: this resolver's address.")
    shoulder = serializers.CharField(allow_null=True)
    naan = serializers.CharField()
    owner = serializers.CharField(help_text="The organisation the ARK belongs to.")
    state = serializers.ChoiceField(choices=Ark.State.values)
    target = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why it was withdrawn.")
    metadata = extend_schema_field(metadata_schema(output=True))(serializers.JSONField)()
    merged_into = serializers.CharField(allow_null=True, help_text="The ARK it resolves through.")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def to_representation(self, instance: Ark) -> dict[str, Any]:
        return ark_json(instance)


class ArkPageOut(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ArkOut(many=True)


class MintedOut(serializers.Serializer):
    ark = serializers.CharField()
    url = serializers.URLField()


class BulkOut(serializers.Serializer):
    shoulder = serializers.CharField()
    count = serializers.IntegerField()
    arks = MintedOut(many=True, help_text="In the order of items, when items were given.")

    def to_representation(self, instance: tuple[Shoulder, list[Ark]]) -> dict[str, Any]:
        shoulder, arks = instance
        base = public_url("")
        return {
            "shoulder": str(shoulder),
            "count": len(arks),
            "arks": [{"ark": a.ark, "url": base + a.ark} for a in arks],
        }


class EventOut(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=ArkEvent.Action.values)
    actor = serializers.CharField()
    changes = serializers.DictField(help_text="field: [old value, new value]")
    note = serializers.CharField(allow_blank=True)

    def to_representation(self, instance: ArkEvent) -> dict[str, Any]:
        return {
            "at": instance.at.isoformat(),
            "action": instance.action,
            "actor": instance.actor,
            "changes": instance.changes,
            "note": instance.note,
        }


class HistoryOut(serializers.Serializer):
    ark = serializers.CharField()
    events = EventOut(many=True)


class StateCountsOut(serializers.Serializer):
    reserved = serializers.IntegerField()
    public = serializers.IntegerField()
    unavailable = serializers.IntegerField()


class ShoulderOut(serializers.Serializer):
    shoulder = serializers.CharField()
    naan = serializers.CharField()
    organization = serializers.CharField(help_text="Whom the shoulder is delegated to.")
    naan_holder = serializers.CharField()
    template = serializers.CharField(help_text="NOID template of the names minted.")
    test = serializers.BooleanField()
    active = serializers.BooleanField()
    minted = serializers.IntegerField(help_text="Names handed out so far.")
    capacity = serializers.IntegerField(allow_null=True, help_text="null: unbounded")
    remaining = serializers.IntegerField(allow_null=True, help_text="null: unbounded")
    counts = StateCountsOut(help_text="ARKs stored under the shoulder, by state.")

    def to_representation(self, instance: Shoulder) -> dict[str, Any]:
        counts = self.context["counts"][instance.pk]
        return {
            "shoulder": str(instance),
            "naan": instance.naan.naan,
            "organization": instance.organization.name,
            "naan_holder": instance.naan.holder.name,
            "template": instance.template,
            "test": instance.is_test,
            "active": instance.is_active,
            "minted": instance.counter,
            "capacity": selectors.shoulder_capacity(instance),
            "remaining": selectors.shoulder_remaining(instance),
            "counts": counts,
        }


class ShouldersOut(serializers.Serializer):
    results = ShoulderOut(many=True)


class NaanOut(serializers.Serializer):
    naan = serializers.CharField()
    holder = serializers.CharField()
    served = serializers.BooleanField(help_text="false: resolved by another node (forward_to).")
    forward_to = serializers.CharField(allow_blank=True)
    policy = serializers.CharField(allow_blank=True)
    url = serializers.URLField(help_text="The NAAN's page on this resolver.")

    def to_representation(self, instance: Naan) -> dict[str, Any]:
        return {
            "naan": instance.naan,
            "holder": instance.holder.name,
            "served": instance.served,
            "forward_to": instance.forward_to,
            "policy": instance.policy_statement,
            "url": public_url(f"ark:{instance.naan}"),
        }


class NaansOut(serializers.Serializer):
    results = NaanOut(many=True)


class ErrorItem(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: invalid_target, forbidden, …")
    field = serializers.CharField(
        help_text="What was wrong: a body field path (metadata.who, items[3].target), a query "
        "parameter, ark, a header (Authorization, Idempotency-Key), or body."
    )
    message = serializers.CharField(help_text="For people.")


class ErrorOut(serializers.Serializer):
    errors = ErrorItem(many=True)
