"""``/openapi.json``: the limits and the error responses are documented."""

from __future__ import annotations

from typing import Any

from lbaas_stack import Stack, expect

from livia.domain import limits


def _unbounded(spec: dict[str, Any]) -> set[str]:
    """Request-body strings without maxLength, lists without maxItems, maps without
    maxProperties, by schema and field."""
    components = spec["components"]["schemas"]
    found: set[str] = set()

    def walk(node: Any, where: str, seen: frozenset[str]) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], name, seen | {name})
            return
        kind = node.get("type")
        if kind == "string" and not {"maxLength", "enum", "const"} & set(node):
            found.add(f"{where} (string)")
        if kind == "array" and "maxItems" not in node:
            found.add(f"{where} (list)")
        if kind == "object" and node.get("additionalProperties") not in (None, False) and (
                "maxProperties" not in node):
            found.add(f"{where} (map)")
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    walk(sub, f"{where}.{name}", seen)
            elif key in ("items", "additionalProperties", "propertyNames"):
                walk(value, f"{where}[]", seen)
            elif key in ("anyOf", "oneOf", "allOf"):
                for sub in value:
                    walk(sub, where, seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media["schema"], f"{method.upper()} {path}", frozenset())
    return found


def test_every_request_string_and_list_is_bounded(sqlite_stack: Stack) -> None:
    spec = expect(sqlite_stack.api.get("/openapi.json", token=None), 200)
    assert _unbounded(spec) == set()
    lb = spec["components"]["schemas"]["LoadBalancerCreate"]
    assert lb["properties"]["name"]["anyOf"][0]["maxLength"] == limits.NAME_LENGTH
    tags = lb["properties"]["tags"]
    assert tags["maxItems"] == limits.MAX_TAGS
    assert tags["items"]["maxLength"] == limits.TAG_LENGTH
    assert str(limits.MAX_GRAPH_OBJECTS) in lb["description"]
    batch = spec["components"]["schemas"]["MemberBatchBody"]["properties"]["members"]
    assert batch["maxItems"] == limits.MAX_BATCH_MEMBERS
    description = spec["info"]["description"]
    assert str(sqlite_stack.settings.max_request_body_bytes) in description


def test_every_operation_documents_its_errors_with_the_fault_body(sqlite_stack: Stack) -> None:
    spec = expect(sqlite_stack.api.get("/openapi.json", token=None), 200)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["token"]["name"] == "X-Auth-Token"
    fault = {"$ref": "#/components/schemas/Fault"}
    keystone = {"$ref": "#/components/schemas/KeystoneError"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert "422" not in responses, where
            assert "413" in responses, where
            if operation.get("security"):
                assert "401" in responses, where
            if method in ("post", "put", "delete") and operation.get("security"):
                assert {"400", "403", "404", "409"} <= set(responses), where
            body = keystone if path.startswith(("/v3", "/identity")) else fault
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == body, where
    amphorae = spec["paths"]["/v2/octavia/amphorae"]["get"]["responses"]
    assert "403" in amphorae
