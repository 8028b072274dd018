"""What the works API answers (read-only): output serializers that declare their fields for the
OpenAPI schema and build the answer directly."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from aggregation.models import Work
from aggregation.selectors import WorkExplanation
from arks.api.serializers import CursorField, QueryIntegerField, StrictSerializer, TextField
from arks.representations import public_url


class WorkListQuery(StrictSerializer):
    source = TextField(
        required=False, max_length=200, help_text="Only works with a record from this source."
    )
    q = TextField(
        required=False, max_length=500, help_text="Words of the title, or a PID of a record."
    )
    page_size = QueryIntegerField(min_value=1, max_value=500, required=False)
    cursor = CursorField()


class WorkOut(serializers.Serializer):
    ark = serializers.CharField()
    url = serializers.URLField(help_text="The ARK on this resolver.")
    status = serializers.ChoiceField(choices=Work.Status.choices)
    merged_into = serializers.CharField(allow_null=True, help_text="The survivor's ARK.")
    adopted = serializers.BooleanField(help_text="The ARK is an institution's own.")
    title = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    target = serializers.CharField(allow_blank=True)

    def to_representation(self, work: Work) -> dict[str, Any]:
        return {
            "ark": work.ark.ark,
            "url": public_url(work.ark.ark),
            "status": work.status,
            "merged_into": work.merged_into.ark.ark if work.merged_into_id else None,
            "adopted": work.adopted,
            "title": work.title,
            "kind": work.kind,
            "year": work.year,
            "target": work.ark.target,
        }


class WorksOut(serializers.Serializer):
    results = WorkOut(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)


class MemberOut(serializers.Serializer):
    record = serializers.IntegerField()
    source = serializers.CharField()
    oai_identifier = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    pids = serializers.ListField(child=serializers.CharField())
    live = serializers.BooleanField(help_text="false: withdrawn by its source (or unreadable).")
    isolated = serializers.BooleanField(help_text="A curator split it out of its work.")


class MatchOut(serializers.Serializer):
    a = serializers.CharField(help_text="OAI identifier of one record.")
    b = serializers.CharField(help_text="OAI identifier of the other.")
    rule = serializers.CharField()
    scores = serializers.DictField(child=serializers.FloatField())
    curator = serializers.BooleanField()
    actor = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    explained = serializers.CharField()


class HeldOut(serializers.Serializer):
    members = serializers.ListField(child=serializers.IntegerField())
    reason = serializers.CharField()
    cohesion = serializers.FloatField(allow_null=True)


class ExplanationOut(serializers.Serializer):
    matches = MatchOut(many=True)
    held = HeldOut(many=True)


class WorkDetailOut(WorkOut):
    summary = serializers.DictField(help_text="The best value of each field among the members.")
    instances = serializers.ListField(child=serializers.DictField())
    members = MemberOut(many=True)
    merged_works = serializers.ListField(
        child=serializers.CharField(), help_text="ARKs merged into this one (they resolve here)."
    )
    explanation = ExplanationOut()

    def to_representation(self, work: Work) -> dict[str, Any]:
        why: WorkExplanation = self.context["explanation"]
        return {
            **super().to_representation(work),
            "summary": work.summary,
            "instances": work.instances,
            "members": [m.__dict__ for m in why.members],
            "merged_works": why.merged_works,
            "explanation": {
                "matches": why.matches,
                "held": [
                    {"members": g.members, "reason": g.reason, "cohesion": g.cohesion}
                    for g in why.held
                ],
            },
        }
