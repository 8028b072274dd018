"""The OpenAPI description (drf-spectacular): the key scheme, the error answers every operation
documents, and a last pass over the generated schema for what decorators cannot say."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from arks.api import idempotency
from arks.api.serializers import ErrorOut


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "arks.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a key issued to your organisation.",
        }


_MEANING = {
    400: "The request is malformed or a value is invalid; field says which.",
    401: "No API key, or one that is malformed, unknown, revoked or expired.",
    403: "The ARK or shoulder belongs to another organisation.",
    404: "No such ARK or shoulder here.",
    409: "Not possible in the current state (a state change not allowed, a shoulder inactive "
    "or full).",
    413: "The body is larger than the limit.",
    415: "The body is not JSON (send Content-Type: application/json).",
    422: "The Idempotency-Key was already used for a different request.",
    429: "Too many requests for this key; retry after Retry-After seconds.",
}
READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (*READ_ERRORS, 409, 413, 415)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorOut, description=_MEANING[code]) for code in codes}


_IDEMPOTENCY_TEXT = (
    "Repeating the request with the same key returns the first answer (with the header "
    "Idempotent-Replayed: true) and mints nothing new; the same key with another request is "
    "refused (422)."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    OpenApiParameter.HEADER,
    description=_IDEMPOTENCY_TEXT,
)
ARK_PARAMETER = OpenApiParameter(
    "ark",
    str,
    OpenApiParameter.PATH,
    description="The ARK in any equivalent form: ark:99999/fk4xyz, ark:/99999/fk4xyz, "
    "hyphenated or URL-encoded.",
)

_HEADERS = {
    "429": {
        "Retry-After": {
            "description": "Seconds until the key may send again.",
            "schema": {"type": "integer", "minimum": 1},
            "required": True,
        }
    },
    "401": {
        "WWW-Authenticate": {
            "description": "The scheme to use: Token.",
            "schema": {"type": "string"},
            "required": True,
        }
    },
}


def description() -> str:
    rates = settings.PIDSVC_API_RATES
    return (
        "Mint, update and withdraw ARKs under the shoulders delegated to your organisation.\n\n"
        "Send `Authorization: Token <key>` with every request (keys are issued by the NAAN "
        'administrator). Errors are JSON: `{"errors": [{"code", "field", "message"}]}`, '
        "where field names what was wrong (a body field such as `metadata.who` or "
        "`items[3].target`, a query parameter, `ark`, a header, or `body`).\n\n"
        "Every POST accepts an `Idempotency-Key` header: repeating the request with the same key "
        "returns the first answer and mints nothing new.\n\n"
        f"Rate limits per key: {rates['read']} reads (GET) and {rates['write']} writes (POST, "
        f"PATCH, DELETE; a bulk request counts as one); without a key {rates['anonymous']} per "
        "address. Over the limit the answer is 429 with a Retry-After header (seconds)."
    )


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """State the rate limits in force, document the headers of 401 and 429 answers, and that
    request bodies take no fields besides those listed (the API refuses unknown ones)."""
    result["info"]["description"] = description()
    bodies = set()
    kept = f"{_IDEMPOTENCY_TEXT} Answers are kept {settings.PIDSVC_IDEMPOTENCY_HOURS} hours."
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == idempotency.HEADER:
                    parameter["description"] = kept
            for code, response in operation.get("responses", {}).items():
                if code in _HEADERS:
                    response["headers"] = _HEADERS[code]
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                bodies.update(_refs(media.get("schema", {})))
    schemas = result.get("components", {}).get("schemas", {})
    for name in bodies:
        for option in _options(schemas, name):
            schemas[option]["additionalProperties"] = False
    return result


def _refs(schema: dict[str, Any]) -> set[str]:
    ref = schema.get("$ref", "")
    return {ref.rpartition("/")[2]} if ref else set()


def _options(schemas: dict[str, Any], name: str) -> set[str]:
    """The object components a request body may be: itself, or each of its oneOf options."""
    schema = schemas.get(name, {})
    if "oneOf" in schema:
        return {inner for option in schema["oneOf"] for inner in _refs(option)}
    return {name} if schema.get("type") == "object" else set()
