"""The API's limits: body cap, tags, lengths, batch sizes; short, always encodable messages."""

from __future__ import annotations

import json
from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

from livia.domain import limits

LBS = f"{LBAAS}/loadbalancers"


def test_an_oversized_body_is_413_before_authentication(stack: Stack) -> None:
    body = b'{"loadbalancer": {"name": "' + b"x" * limits.MAX_REQUEST_BODY_BYTES + b'"}}'
    for token in (None, "not-a-token", stack.tokens.member_a):
        response = stack.api.post(LBS, content=body, token=token)
        message = fault(response, 413)
        assert str(limits.MAX_REQUEST_BODY_BYTES) in message
        assert response.headers["connection"] == "close"


def test_tags_are_capped_in_number_and_length(stack: Stack) -> None:
    subnet = stack.vip_subnet()
    too_many = [f"t{i}" for i in range(limits.MAX_TAGS + 1)]
    message = fault(stack.api.post(LBS, json={"loadbalancer": {
        "vip_subnet_id": subnet, "tags": too_many}}), 400)
    assert "tags" in message and str(limits.MAX_TAGS) in message
    message = fault(stack.api.post("/v2.0/networks", json={"network": {
        "tags": ["x" * (limits.TAG_LENGTH + 1)]}}), 400)
    assert "tags" in message
    most = [f"t{i}" for i in range(limits.MAX_TAGS)]
    lb = stack.create_lb(tags=most)
    assert sorted(lb["tags"]) == sorted(most)
    message = fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "tags": too_many}}), 400)
    assert "tags" in message


def test_free_text_is_capped_as_octavia_caps_it(stack: Stack) -> None:
    lb = stack.create_lb()
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (LBS, "loadbalancer", {"vip_subnet_id": stack.vip_subnet(),
                               "description": "d" * 256}, "description"),
        (f"{LBAAS}/listeners", "listener", {
            "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80,
            "insert_headers": {"X-Forwarded-For": "x" * 10_000}}, "X-Forwarded-For"),
        (f"{LBAAS}/listeners", "listener", {
            "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 81,
            "allowed_cidrs": ["10.0.0.0/8"] * (limits.MAX_LIST_ITEMS + 1)}, "allowed_cidrs"),
        (f"{LBAAS}/pools", "pool", {
            "loadbalancer_id": lb["id"], "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
            "tls_versions": ["T" * 33]}, "tls_versions"),
        ("/v2.0/ports", "port", {"network_id": lb["vip_network_id"],
                                 "device_owner": "o" * 256}, "device_owner"),
    ]
    for path, key, body, field in cases:
        assert field in fault(stack.api.post(path, json={key: body}), 400), (path, field)


def test_a_member_batch_is_capped(stack: Stack) -> None:
    lb = stack.create_lb()
    pool = stack.create_pool(lb["id"])
    path = f"{LBAAS}/pools/{pool['id']}/members"

    def batch(n: int) -> list[dict[str, Any]]:
        return [{"address": f"10.{91 + i // 65536}.{i // 256 % 256}.{i % 256}",
                 "protocol_port": 80} for i in range(n)]

    fault(stack.api.put(path, json={"members": batch(limits.MAX_BATCH_MEMBERS + 1)}), 400)
    biggest = json.dumps({"members": [{**m, "name": f"member-{i:04d}", "weight": 10,
                                       "subnet_id": stack.vip_subnet(), "tags": ["web", "a"]}
                                      for i, m in enumerate(batch(limits.MAX_BATCH_MEMBERS))]})
    assert len(biggest) < limits.MAX_REQUEST_BODY_BYTES  # a full batch fits under the cap
    expect(stack.api.put(path, content=biggest.encode()), 202)
    stack.wait_for(lb["id"], timeout=60)
    members = expect(stack.api.get(path), 200)["members"]
    assert len(members) == limits.MAX_BATCH_MEMBERS


def test_a_fully_populated_create_is_capped_in_objects(stack: Stack) -> None:
    def pool(members: int) -> dict[str, Any]:
        return {"protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "members": [
            {"address": f"10.91.{i // 256}.{i % 256}", "protocol_port": 80}
            for i in range(members)]}

    subnet = stack.vip_subnet()
    # 2 listeners + 2 pools + 997 members = 1001 objects: one too many.
    over = {"vip_subnet_id": subnet, "listeners": [
        {"protocol": "HTTP", "protocol_port": 80, "default_pool": pool(500)},
        {"protocol": "HTTP", "protocol_port": 81, "default_pool": pool(497)}]}
    message = fault(stack.api.post(LBS, json={"loadbalancer": over}), 400)
    assert str(limits.MAX_GRAPH_OBJECTS) in message and "1001" in message
    over["listeners"][1]["default_pool"] = pool(496)
    body = json.dumps({"loadbalancer": over})
    assert len(body) < limits.MAX_REQUEST_BODY_BYTES
    lb = expect(stack.api.post(LBS, content=body.encode()), 201)["loadbalancer"]
    stack.wait_for(lb["id"], timeout=60)


def test_messages_quote_a_short_prefix_of_a_bad_value(stack: Stack) -> None:
    huge = "not-a-uuid-" + "z" * 500_000
    response = stack.api.post(LBS, json={"loadbalancer": {"vip_subnet_id": huge}})
    message = fault(response, 400)
    assert len(response.content) < 1024
    assert huge[:limits.QUOTE_LENGTH] in message and huge[:limits.QUOTE_LENGTH + 1] not in message
    response = stack.api.post(LBS, json={"loadbalancer": {"x" * 100_000: 1}})
    assert len(fault(response, 400)) < 300
    response = stack.api.get(f"{LBS}/{'y' * 5000}")
    assert len(fault(response, 404)) < 300
    response = stack.api.get(LBS, params={"limit": "9" * 5000})
    assert len(fault(response, 400)) < 300


def test_a_lone_surrogate_in_a_bad_value_still_gives_a_400(stack: Stack) -> None:
    body = b'{"loadbalancer": {"vip_subnet_id": "\\ud800-bad"}}'
    message = fault(stack.api.post(LBS, content=body), 400)
    assert "\\ud800" in message and "surrogate" in message
    body = b'{"loadbalancer": {"\\udfff": 1}}'
    assert "\\udfff" in fault(stack.api.post(LBS, content=body), 400)
