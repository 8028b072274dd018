"""``GET /api/v1/stats/{ark}``: how often an ARK was resolved, for everyone (no key needed).

A view of the API like the others: described in the OpenAPI schema, its errors in the API's one
shape (``arks.api.errors``), rate-limited per key or per address. The figures come from
``arks.stats``; what counts as a resolution is said there.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from arks import selectors, stats
from arks.api.schema import ARK_PARAMETER, error_responses
from arks.api.serializers import QueryIntegerField
from arks.api.views import ApiView, validated


class StatsQuery(serializers.Serializer):
    days = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=stats.MAX_DAYS,
        help_text=f"How many days, ending today (UTC), to count per day; {stats.DEFAULT_DAYS} "
        "unless given.",
        error_messages={
            key: f"days must be a whole number from 1 to {stats.MAX_DAYS}"
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


class DayOut(serializers.Serializer):
    date = serializers.DateField(help_text="A day (UTC).")
    count = serializers.IntegerField(min_value=0, help_text="Resolutions on that day.")


class StatsOut(serializers.Serializer):
    ark = serializers.CharField(help_text="The ARK, in its normal form.")
    total = serializers.IntegerField(min_value=0, help_text="Resolutions since it was minted.")
    days = DayOut(many=True, help_text="One entry per day asked for, oldest first.")


class ArkStats(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="stats_retrieve",
        summary="How often an ARK was resolved",
        description="The all-time total and the count of each of the last `days` days. A "
        "resolution is a request that followed the ARK: a redirect to its target (through "
        "suffix passthrough too) or its tombstone; descriptions (`?info`, `?`, `??`) are not "
        "counted. Counts are written every few seconds. Reserved ARKs have no statistics.",
        parameters=[ARK_PARAMETER, StatsQuery],
        responses={200: StatsOut, **error_responses(400, 404, 429)},
    )
    def get(self, request: Request, ark: str) -> Response:
        days = validated(StatsQuery, request.query_params.dict()).validated_data.get(
            "days", stats.DEFAULT_DAYS
        )
        found = selectors.public_ark(ark)
        points = stats.series(found.pk, days=days)
        body = {
            "ark": found.ark,
            "total": stats.totals([found.pk])[found.pk],
            "days": [{"date": day, "count": n} for day, n in points],
        }
        return Response(StatsOut(body).data)
