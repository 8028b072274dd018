"""The API's endpoints. Each validates its input, asks a selector for what the key may act on,
calls one service and answers through an output serializer; errors are raised, and answered by
``arks.api.errors.handle``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arks import export, selectors, services
from arks.api import errors, idempotency
from arks.api import serializers as io
from arks.api.authentication import ApiClient, ApiKeyAuthentication
from arks.api.pagination import ArkCursor
from arks.api.parsers import BoundedJSONParser
from arks.api.permissions import HasApiKey
from arks.api.schema import (
    ARK_PARAMETER,
    IDEMPOTENCY_KEY,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
)
from arks.api.throttling import KeyRateThrottle
from arks.models import Ark, Organization


class AsciiJSONRenderer(JSONRenderer):
    # Escaping everything beyond ASCII means no text echoed back in an error (an unpaired
    # surrogate, say) can make the answer itself fail to encode.
    ensure_ascii = True


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [KeyRateThrottle]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [AsciiJSONRenderer]

    def get_exception_handler(self) -> Any:
        return errors.handle

    def permission_denied(self, request: Request, message: Any = None, code: Any = None) -> None:
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(HasApiKey.message)  # DRF's own says nothing of how
        super().permission_denied(request, message=message, code=code)

    @property
    def client(self) -> ApiClient:
        return self.request.user


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


def ark_location(body: dict[str, Any]) -> str:
    return reverse("api:ark", kwargs={"ark": body["ark"]})


def filtered_arks(org: Organization, query: dict[str, Any]) -> QuerySet[Ark]:
    """The ARKs ``org`` may read, narrowed by the list's filters (``io.ArkFilterQuery``)."""
    shoulder = None
    if query.get("shoulder"):
        shoulder = selectors.shoulder_for(organization=org, text=query["shoulder"])
    return selectors.arks_for(
        organization=org,
        shoulder=shoulder,
        state=query.get("state"),
        updated_since=query.get("updated_since"),
    )


class ArkCollection(ApiView):
    @extend_schema(
        operation_id="arks_list",
        summary="List your ARKs",
        description="ARKs under the shoulders your key may use, newest first, a page at a time.",
        parameters=[io.ArkListQuery],
        responses={200: io.ArkPageOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: a QueryDict would make DRF skip empty values (``?state=``) as HTML forms do.
        query = validated(io.ArkListQuery, request.query_params.dict()).validated_data
        arks = filtered_arks(self.client.organization, query)
        pages = ArkCursor()
        page = pages.paginate_queryset(arks, request, view=self)
        return Response({**pages.links(), "results": io.ArkOut(page, many=True).data})

    @extend_schema(
        operation_id="arks_mint",
        summary="Mint an ARK",
        request=io.MintIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: io.ArkOut, **error_responses(*WRITE_ERRORS, 422)},
    )
    def post(self, request: Request) -> Response:
        data = validated(io.MintIn, request.data)
        shoulder = selectors.shoulder_for(
            organization=self.client.organization,
            text=data.validated_data["shoulder"],
            to_mint=True,
        )
        item = data.ark_data()

        def mint() -> tuple[int, Any]:
            (ark,) = services.mint(shoulder=shoulder, actor=self.client.actor, data=item)
            return 201, io.ArkOut(ark).data

        response = idempotency.answer(request, mint)
        response["Location"] = ark_location(response.data)
        return response


class FirstRenderer(DefaultContentNegotiation):
    """Errors in JSON, whatever ``?format=`` says: here it names the export's format, not one
    of DRF's renderers."""

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: Any = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class ArkExport(ApiView):
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="arks_export",
        summary="Export your ARKs",
        description="Every ARK your key may read (narrowed by the list's filters), oldest "
        "first, streamed as one file: anvl (an ERC record per ARK, blank-line separated, as "
        "EZID's batch download), csv (a header row, one ARK a row, the ERC kernel in columns "
        "and the rest of the metadata as JSON) or jsonl (one ARK a line, as this API shows it).",
        parameters=[io.ArkExportQuery],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="anvl"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="csv"),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="jsonl"),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        query = validated(io.ArkExportQuery, request.query_params.dict()).validated_data
        arks = filtered_arks(self.client.organization, query)
        fmt = export.FORMATS[query.get("format") or "jsonl"]
        response = StreamingHttpResponse(
            export.encoded(fmt.render(selectors.each_ark(arks))), content_type=fmt.media_type
        )
        response["Content-Disposition"] = f'attachment; filename="arks.{fmt.extension}"'
        return response


class ArkBulk(ApiView):
    @extend_schema(
        operation_id="arks_mint_bulk",
        summary="Mint many ARKs at once",
        description="Either count (that many ARKs sharing target, state and metadata) or "
        "items (one ARK each). All or nothing: an error mints none.",
        # The two shapes the one BulkIn serializer accepts, as the schema's oneOf.
        request=PolymorphicProxySerializer(
            component_name="BulkIn",
            serializers=[io.BulkCountIn, io.BulkItemsIn],
            resource_type_field_name=None,
        ),
        parameters=[IDEMPOTENCY_KEY],
        responses={201: io.BulkOut, **error_responses(*WRITE_ERRORS, 422)},
    )
    def post(self, request: Request) -> Response:
        data = validated(io.BulkIn, request.data)
        shoulder = selectors.shoulder_for(
            organization=self.client.organization,
            text=data.validated_data["shoulder"],
            to_mint=True,
        )
        items = data.validated_data.get("items")
        count = data.validated_data.get("count")
        shared = data.ark_data()

        def mint() -> tuple[int, Any]:
            actor = self.client.actor
            if items is not None:
                arks = services.mint_each(shoulder=shoulder, actor=actor, items=items)
            else:
                arks = services.mint(shoulder=shoulder, actor=actor, data=shared, count=count)
            return 201, io.BulkOut((shoulder, arks)).data

        return idempotency.answer(request, mint)


class ArkDetail(ApiView):
    @extend_schema(
        operation_id="arks_read",
        summary="Read an ARK",
        parameters=[ARK_PARAMETER],
        responses={200: io.ArkOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, ark: str) -> Response:
        found = selectors.ark_for(organization=self.client.organization, text=ark)
        return Response(io.ArkOut(found).data)

    @extend_schema(
        operation_id="arks_update",
        summary="Change an ARK's target, metadata or state",
        description="Fields left out are left alone; metadata is replaced as a whole.",
        parameters=[ARK_PARAMETER],
        request=io.ArkChangeIn,
        responses={200: io.ArkOut, **error_responses(*WRITE_ERRORS)},
    )
    def patch(self, request: Request, ark: str) -> Response:
        changes = validated(io.ArkChangeIn, request.data).changes()
        found = selectors.ark_for(organization=self.client.organization, text=ark)
        updated = services.update_ark(ark=found, actor=self.client.actor, **changes)
        return Response(io.ArkOut(updated).data)

    @extend_schema(
        operation_id="arks_withdraw",
        summary="Withdraw an ARK",
        description="The ARK becomes a tombstone: it keeps resolving, to a 410 page with its "
        "last metadata and the reason. Nothing is removed. The reason may also be sent as a "
        'JSON body {"reason": "…"}.',
        parameters=[
            ARK_PARAMETER,
            OpenApiParameter(
                "reason",
                {"type": "string", "minLength": 1, "maxLength": io.MAX_REASON_LENGTH},
                OpenApiParameter.QUERY,
                required=True,
                description="Why the ARK is withdrawn (shown on its tombstone).",
            ),
        ],
        request=None,
        responses={200: io.ArkOut, **error_responses(*WRITE_ERRORS)},
    )
    def delete(self, request: Request, ark: str) -> Response:
        given = request.query_params
        data = given.dict() if given else request.data
        reason = validated(io.WithdrawIn, data).validated_data["reason"]
        found = selectors.ark_for(organization=self.client.organization, text=ark)
        withdrawn = services.tombstone(ark=found, actor=self.client.actor, reason=reason)
        return Response(io.ArkOut(withdrawn).data)


class ArkHistory(ApiView):
    @extend_schema(
        operation_id="arks_history",
        summary="An ARK's history",
        description="Every change, oldest first: who, when, and each field's old and new value.",
        parameters=[ARK_PARAMETER],
        responses={200: io.HistoryOut, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, ark: str) -> Response:
        found = selectors.ark_for(organization=self.client.organization, text=ark)
        events = selectors.ark_history(found)
        return Response({"ark": found.ark, "events": io.EventOut(events, many=True).data})


class ShoulderList(ApiView):
    @extend_schema(
        operation_id="shoulders_list",
        summary="The shoulders your key may mint under",
        description="With the names minted so far, the template's capacity (null: unbounded) "
        "and the ARKs stored under each, by state.",
        responses={200: io.ShouldersOut, **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        shoulders = selectors.mintable_shoulders_for(self.client.organization)
        context = {"counts": selectors.state_counts(shoulders)}
        return Response({"results": io.ShoulderOut(shoulders, many=True, context=context).data})


class NaanList(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="naans_list",
        summary="The NAANs known here",
        description="Served here, or forwarded to the node that serves them. No key needed.",
        responses={200: io.NaansOut, **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response({"results": io.NaanOut(selectors.naans(), many=True).data})


@extend_schema(exclude=True)
class NoSuchEndpoint(ApiView):
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound("no such endpoint; see /api/docs/")
