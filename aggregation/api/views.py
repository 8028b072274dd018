"""The read-only works API: which records are one Work, and why. No key needed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from aggregation import selectors
from aggregation.api import serializers as io
from arks.api.pagination import ArkCursor
from arks.api.schema import ARK_PARAMETER, error_responses
from arks.api.views import ApiView, validated


class WorkCursor(ArkCursor):
    page_size = 50
    max_page_size = 500


class WorkList(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="works_list",
        summary="Aggregated works",
        description="Works found by deduplicating the harvested records, newest first, each "
        "with its ARK. Filter by source name and by words of the title or a record's PID.",
        parameters=[io.WorkListQuery],
        responses={200: io.WorksOut, **error_responses(400, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: a QueryDict would make DRF skip empty values, as HTML forms do.
        given = validated(io.WorkListQuery, request.query_params.dict()).validated_data
        found = selectors.works(source=given.get("source"), q=given.get("q"))
        pages = WorkCursor()
        page = pages.paginate_queryset(found, request, view=self)
        return Response(
            {"results": io.WorkOut(page, many=True).data, **pages.links()}  # type: ignore[arg-type]
        )


class WorkDetail(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="works_retrieve",
        summary="One work: its members, instances and why they are one",
        description="Every harvested record of the work with its source, the instances the "
        "ARK's landing page lists, the best value of each field, the ARKs merged into it, and "
        "the explanation: each matched pair with the rule and scores that decided, or the "
        "curator who joined them and why.",
        parameters=[ARK_PARAMETER],
        responses={200: io.WorkDetailOut, **error_responses(400, 404, 429)},
    )
    def get(self, request: Request, ark: str) -> Response:
        work = selectors.work_for_ark(ark)
        context = {"explanation": selectors.explain_work(work)}
        return Response(io.WorkDetailOut(work, context=context).data)
