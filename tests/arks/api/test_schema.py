"""The OpenAPI schema at /api/schema/ and the interactive docs at /api/docs/, which must work
offline: everything they load comes from this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import yaml
from drf_spectacular.validation import validate_schema

OPERATIONS = {
    ("/api/v1/arks", "get"), ("/api/v1/arks", "post"), ("/api/v1/arks/bulk", "post"),
    ("/api/v1/arks/export", "get"),
    ("/api/v1/arks/{ark}", "get"), ("/api/v1/arks/{ark}", "patch"),
    ("/api/v1/arks/{ark}", "delete"), ("/api/v1/arks/{ark}/history", "get"),
    ("/api/v1/shoulders", "get"), ("/api/v1/naans", "get"),
    ("/api/v1/works", "get"), ("/api/v1/works/{ark}", "get"),
    ("/api/v1/stats/{ark}", "get"),
}  # fmt: skip


def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_and_describes_every_operation(client, db):
    document = schema(client)
    validate_schema(document)
    found = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert found == OPERATIONS
    assert (
        client.get("/api/schema/?format=json")["Content-Type"] == "application/vnd.oai.openapi+json"
    )


def test_every_operation_documents_its_errors_in_one_shape(client, db):
    document = schema(client)
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            responses = operation["responses"]
            assert "429" in responses, (path, method)
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorOut", (path, method, code)
            if method in ("post", "patch", "delete"):
                assert {"400", "401", "403", "404", "409"} <= responses.keys(), (path, method)
            if method == "post":
                names = [p["name"] for p in operation["parameters"]]
                assert "Idempotency-Key" in names, path
                assert "422" in responses


def test_the_schema_says_what_state_a_new_ark_gets_without_one(client, db):
    components = schema(client)["components"]["schemas"]
    for name in ("MintInRequest", "BulkCountInRequest"):
        state = components[name]["properties"]["state"]
        assert "public when a target is given, else reserved" in state["description"], name
    assert "default" not in components["MintInRequest"]["properties"]["state"]
    items = components["BulkItemsInRequest"]["properties"]["items"]["items"]
    assert "public when a target is given" in items["properties"]["state"]["description"]


def test_the_statistics_api_is_described_with_its_answer(client, db):
    document = schema(client)
    operation = document["paths"]["/api/v1/stats/{ark}"]["get"]
    assert operation["operationId"] == "stats_retrieve"
    assert {p["name"]: p["in"] for p in operation["parameters"]} == {"ark": "path", "days": "query"}
    days = next(p for p in operation["parameters"] if p["name"] == "days")["schema"]
    assert (days["minimum"], days["maximum"]) == (1, 366)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    out = document["components"]["schemas"][answer.rsplit("/", 1)[1]]
    assert set(out["required"]) == {"ark", "total", "days"}
    assert {"400", "404", "429"} <= operation["responses"].keys()


def test_the_schema_states_the_key_scheme_and_the_rate_limits(client, db, settings):
    document = schema(client)
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <key>`: a key issued to your organisation.",
    }
    description = document["info"]["description"]
    for scope in ("read", "write", "anonymous"):
        assert settings.PIDSVC_API_RATES[scope] in description
    assert "Retry-After" in description
    assert "Idempotency-Key" in description


def test_request_bodies_take_no_undeclared_fields(client, db):
    components = schema(client)["components"]["schemas"]
    for name in ("MintInRequest", "BulkCountInRequest", "BulkItemsInRequest",
                 "PatchedArkChangeInRequest"):  # fmt: skip
        assert components[name]["additionalProperties"] is False, name


def test_the_docs_page_loads_nothing_from_another_host(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    absolute = re.findall(r"""(?:https?:)?//[A-Za-z0-9.-]+""", page)
    assert absolute == [], f"the docs page names other hosts: {absolute}"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert len(assets) >= 3  # the stylesheet and the two scripts of Swagger UI
    for asset in assets:
        assert not urlsplit(asset).netloc, asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        b"".join(served.streaming_content) if served.streaming else served.content
    assert '"validatorUrl": null' in page  # Swagger UI would otherwise call validator.swagger.io
