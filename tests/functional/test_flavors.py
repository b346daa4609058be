"""Flavor profiles, flavors, availability zone profiles and zones; load balancers made with them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

from livia.store import flavors as flavor_store

FP = f"{LBAAS}/flavorprofiles"
FL = f"{LBAAS}/flavors"
AZP = f"{LBAAS}/availabilityzoneprofiles"
AZ = f"{LBAAS}/availabilityzones"
AMP = "/v2/octavia/amphorae"


def _profile(stack: Stack, data: dict[str, Any], name: str = "fp") -> dict[str, Any]:
    body = {"flavorprofile": {"name": name, "provider_name": "amphora",
                              "flavor_data": json.dumps(data)}}
    return expect(stack.api.post(FP, json=body, token=stack.tokens.admin), 201)["flavorprofile"]


def _flavor(stack: Stack, data: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
    profile = _profile(stack, data)
    body = {"flavor": {"name": f"f-{uuid.uuid4().hex[:8]}", "description": "d",
                       "enabled": enabled, "flavor_profile_id": profile["id"]}}
    return expect(stack.api.post(FL, json=body, token=stack.tokens.admin), 201)["flavor"]


def _zone(stack: Stack, data: dict[str, Any] | None = None, enabled: bool = True
          ) -> dict[str, Any]:
    data = {"hosts": [stack.settings.host_name]} if data is None else data
    body = {"availability_zone_profile": {"name": "azp", "provider_name": "amphora",
                                          "availability_zone_data": json.dumps(data)}}
    profile = expect(stack.api.post(AZP, json=body, token=stack.tokens.admin),
                     201)["availability_zone_profile"]
    body = {"availability_zone": {"name": f"az-{uuid.uuid4().hex[:8]}", "enabled": enabled,
                                  "availability_zone_profile_id": profile["id"]}}
    return expect(stack.api.post(AZ, json=body, token=stack.tokens.admin),
                  201)["availability_zone"]


def _amphorae(stack: Stack, lb_id: str) -> list[dict[str, Any]]:
    amps = expect(stack.api.get(f"{AMP}?loadbalancer_id={lb_id}", token=stack.tokens.admin),
                  200)["amphorae"]
    return [a for a in amps if a["status"] == "ALLOCATED"]


def test_flavor_profile_crud(stack: Stack) -> None:
    admin = stack.tokens.admin
    profile = _profile(stack, {"loadbalancer_topology": "SINGLE"})
    assert set(profile) == {"id", "name", "provider_name", "flavor_data"}
    assert json.loads(profile["flavor_data"]) == {"loadbalancer_topology": "SINGLE"}
    listed = expect(stack.api.get(FP, token=admin), 200)
    assert [p["id"] for p in listed["flavorprofiles"]] == [profile["id"]]
    assert listed["flavorprofile_links"] == []
    shown = expect(stack.api.get(f"{FP}/{profile['id']}", token=admin), 200)["flavorprofile"]
    assert shown == profile
    new_data = json.dumps({"haproxy_threads": 2})
    updated = expect(stack.api.put(f"{FP}/{profile['id']}", json={"flavorprofile": {
        "name": "renamed", "flavor_data": new_data}}, token=admin), 200)["flavorprofile"]
    assert updated["name"] == "renamed" and updated["flavor_data"] == new_data
    expect(stack.api.delete(f"{FP}/{profile['id']}", token=admin), 204)
    assert "not found" in fault(stack.api.get(f"{FP}/{profile['id']}", token=admin), 404)
    fault(stack.api.get(f"{FP}/nonsense", token=admin), 404)


def test_flavor_profile_errors(stack: Stack) -> None:
    admin = stack.tokens.admin

    def post(data: str, provider: str = "amphora") -> Any:
        return stack.api.post(FP, json={"flavorprofile": {
            "name": "x", "provider_name": provider, "flavor_data": data}}, token=admin)

    assert "is not a valid option for flavor data" in fault(post("{not json"), 400)
    assert "is not a valid option for flavor data" in fault(post("[1]"), 400)
    message = fault(post(json.dumps({"compute_flavor": "m1"})), 501)
    assert message.startswith("Provider 'amphora' does not support a requested option:")
    assert "'compute_flavor'" in message
    assert "loadbalancer_topology" in fault(
        post(json.dumps({"loadbalancer_topology": "TRIPLE"})), 501)
    assert "haproxy_threads" in fault(post(json.dumps({"haproxy_threads": 0})), 501)
    assert "haproxy_threads" in fault(post(json.dumps({"haproxy_threads": "2"})), 501)
    assert "max_listener_connections" in fault(
        post(json.dumps({"max_listener_connections": True})), 501)
    assert "not enabled" in fault(post("{}", provider="nope"), 400)
    fault(stack.api.post(FP, json={"flavorprofile": {"name": "x"}}, token=admin), 400)
    # in use by a flavor: data and provider are locked, the name is not; no delete
    flavor = _flavor(stack, {})
    profile_id = flavor["flavor_profile_id"]
    assert "in use" in fault(stack.api.put(f"{FP}/{profile_id}", json={"flavorprofile": {
        "flavor_data": "{}"}}, token=admin), 409)
    assert "in use" in fault(stack.api.put(f"{FP}/{profile_id}", json={"flavorprofile": {
        "provider_name": "octavia"}}, token=admin), 409)
    expect(stack.api.put(f"{FP}/{profile_id}", json={"flavorprofile": {"name": "n"}},
                         token=admin), 200)
    assert "in use" in fault(stack.api.delete(f"{FP}/{profile_id}", token=admin), 409)


def test_flavor_crud_and_errors(stack: Stack) -> None:
    admin, reader = stack.tokens.admin, stack.tokens.reader_a
    flavor = _flavor(stack, {"loadbalancer_topology": "SINGLE"})
    assert set(flavor) == {"id", "name", "description", "enabled", "flavor_profile_id"}
    assert flavor["enabled"] is True
    listed = expect(stack.api.get(FL, token=reader), 200)
    assert [f["id"] for f in listed["flavors"]] == [flavor["id"]]
    assert expect(stack.api.get(f"{FL}/{flavor['id']}", token=reader), 200)["flavor"] == flavor
    fault(stack.api.put(f"{FL}/{flavor['id']}", json={"flavor": {"enabled": False}},
                        token=stack.tokens.member_a), 403)
    updated = expect(stack.api.put(f"{FL}/{flavor['id']}", json={"flavor": {
        "description": "new", "enabled": False}}, token=admin), 200)["flavor"]
    assert updated["description"] == "new" and updated["enabled"] is False
    # no change of profile after create (Octavia's FlavorPUT has no flavor_profile_id)
    fault(stack.api.put(f"{FL}/{flavor['id']}", json={"flavor": {
        "flavor_profile_id": flavor["flavor_profile_id"]}}, token=admin), 400)
    assert "already exists" in fault(stack.api.post(FL, json={"flavor": {
        "name": flavor["name"], "flavor_profile_id": flavor["flavor_profile_id"]}},
        token=admin), 409)
    missing = str(uuid.uuid4())
    assert "is not a valid option for flavor_profile_id" in fault(stack.api.post(FL, json={
        "flavor": {"name": "x", "flavor_profile_id": missing}}, token=admin), 400)
    fault(stack.api.get(f"{FL}/{missing}", token=admin), 404)
    expect(stack.api.delete(f"{FL}/{flavor['id']}", token=admin), 204)
    fault(stack.api.delete(f"{FL}/{flavor['id']}", token=admin), 404)


def test_capabilities(stack: Stack) -> None:
    caps = expect(stack.api.get(f"{LBAAS}/providers/amphora/flavor_capabilities",
                                token=stack.tokens.admin), 200)["flavor_capabilities"]
    names = [c["name"] for c in caps]
    assert names == ["loadbalancer_topology", "haproxy_threads", "max_listener_connections"]
    assert all(c["description"] for c in caps)
    zone_caps = expect(stack.api.get(f"{LBAAS}/providers/amphora/availability_zone_capabilities",
                                     token=stack.tokens.admin),
                       200)["availability_zone_capabilities"]
    assert [c["name"] for c in zone_caps] == ["hosts", "valid_vip_networks"]
    assert "not enabled" in fault(stack.api.get(f"{LBAAS}/providers/nope/flavor_capabilities",
                                                token=stack.tokens.admin), 400)
    fault(stack.api.get(f"{LBAAS}/providers/amphora/flavor_capabilities",
                        token=stack.tokens.member_a), 403)


def test_lb_with_a_single_flavor_has_one_amphora(stack: Stack) -> None:
    flavor = _flavor(stack, {"loadbalancer_topology": "SINGLE", "haproxy_threads": 3,
                             "max_listener_connections": 500})
    lb = stack.create_lb(flavor_id=flavor["id"])
    assert lb["flavor_id"] == flavor["id"]
    amps = _amphorae(stack, lb["id"])
    assert [a["role"] for a in amps] == ["STANDALONE"]
    stack.create_listener(lb["id"], protocol="TCP", port=80)
    stack.create_listener(lb["id"], protocol="TCP", port=81, connection_limit=9000)
    stack.create_listener(lb["id"], protocol="TCP", port=82, connection_limit=50)
    config = stack.agents.amphora(amps[0]["id"]).haproxy
    assert config is not None
    assert "    nbthread 3\n" in config
    frontend_maxconns = sorted(int(line.split()[1]) for line in config.splitlines()
                               if line.startswith("    maxconn "))
    assert 50 in frontend_maxconns and frontend_maxconns.count(500) == 2
    assert "maxconn 9000" not in config
    shown = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}",
                                 token=stack.tokens.member_a), 200)["loadbalancer"]
    assert shown["flavor_id"] == flavor["id"]
    assert "flavor_options" not in shown


def test_flavor_snapshot_is_kept(stack: Stack) -> None:
    admin = stack.tokens.admin
    flavor = _flavor(stack, {"loadbalancer_topology": "SINGLE", "haproxy_threads": 2})
    lb = stack.create_lb(flavor_id=flavor["id"])
    # The API locks a used profile's data (409); an operator editing the row anyway
    # does not move the load balancer: it runs its snapshot.
    with stack.db.write() as conn:
        flavor_store.flavor_profiles.update(
            conn, flavor["flavor_profile_id"],
            flavor_data=json.dumps({"loadbalancer_topology": "ACTIVE_STANDBY",
                                    "haproxy_threads": 4}))
    stack.create_listener(lb["id"], protocol="TCP", port=80)
    amps = _amphorae(stack, lb["id"])
    assert len(amps) == 1
    config = stack.agents.amphora(amps[0]["id"]).haproxy
    assert config is not None and "    nbthread 2\n" in config
    assert "in use" in fault(stack.api.delete(f"{FL}/{flavor['id']}", token=admin), 409)
    expect(stack.api.delete(f"{LBAAS}/loadbalancers/{lb['id']}?cascade=true",
                            token=stack.tokens.member_a), 204)
    stack.wait_for(lb["id"], "DELETED")
    expect(stack.api.delete(f"{FL}/{flavor['id']}", token=admin), 204)


def test_lb_with_an_active_standby_flavor_has_two(stack: Stack) -> None:
    flavor = _flavor(stack, {"loadbalancer_topology": "ACTIVE_STANDBY"})
    lb = stack.create_lb(flavor_id=flavor["id"])
    assert sorted(a["role"] for a in _amphorae(stack, lb["id"])) == ["BACKUP", "MASTER"]
    config = stack.agents.amphora(_amphorae(stack, lb["id"])[0]["id"]).haproxy
    assert config is not None and "nbthread" not in config


def test_lb_flavor_errors(stack: Stack) -> None:
    body = {"vip_subnet_id": stack.vip_subnet()}
    missing = str(uuid.uuid4())

    def create(**fields: Any) -> Any:
        return stack.api.post(f"{LBAAS}/loadbalancers",
                              json={"loadbalancer": {**body, **fields}})

    assert fault(create(flavor_id=missing), 400) == "Invalid flavor_id."
    disabled = _flavor(stack, {}, enabled=False)
    assert fault(create(flavor_id=disabled["id"]), 400) == (
        f"The selected flavor is not allowed in this deployment: {disabled['id']}")
    single = _flavor(stack, {"loadbalancer_topology": "SINGLE"})
    assert "is not compatible with provider" in fault(
        create(flavor_id=single["id"], provider="octavia"), 400)
    expect(create(flavor_id=single["id"], provider="amphora"), 201)


def test_zone_crud_and_errors(stack: Stack) -> None:
    admin, reader = stack.tokens.admin, stack.tokens.reader_a
    zone = _zone(stack)
    assert set(zone) == {"name", "description", "enabled", "availability_zone_profile_id"}
    listed = expect(stack.api.get(AZ, token=reader), 200)["availability_zones"]
    assert [z["name"] for z in listed] == [zone["name"]]
    assert expect(stack.api.get(f"{AZ}/{zone['name']}", token=reader),
                  200)["availability_zone"] == zone
    updated = expect(stack.api.put(f"{AZ}/{zone['name']}", json={"availability_zone": {
        "description": "zone", "enabled": False}}, token=admin), 200)["availability_zone"]
    assert updated["description"] == "zone" and updated["enabled"] is False
    fault(stack.api.put(f"{AZ}/{zone['name']}", json={"availability_zone": {
        "enabled": True}}, token=stack.tokens.member_a), 403)
    assert "already exists" in fault(stack.api.post(AZ, json={"availability_zone": {
        "name": zone["name"], "availability_zone_profile_id":
            zone["availability_zone_profile_id"]}}, token=admin), 409)
    profile_id = zone["availability_zone_profile_id"]
    shown = expect(stack.api.get(f"{AZP}/{profile_id}", token=admin),
                   200)["availability_zone_profile"]
    assert json.loads(shown["availability_zone_data"]) == {"hosts": [stack.settings.host_name]}
    assert [p["id"] for p in expect(stack.api.get(AZP, token=admin),
                                    200)["availability_zone_profiles"]] == [profile_id]
    fault(stack.api.get(AZP, token=reader), 403)
    assert "in use" in fault(stack.api.delete(f"{AZP}/{profile_id}", token=admin), 409)
    assert "in use" in fault(stack.api.put(f"{AZP}/{profile_id}", json={
        "availability_zone_profile": {"availability_zone_data": "{}"}}, token=admin), 409)
    expect(stack.api.delete(f"{AZ}/{zone['name']}", token=admin), 204)
    fault(stack.api.get(f"{AZ}/{zone['name']}", token=admin), 404)
    expect(stack.api.delete(f"{AZP}/{profile_id}", token=admin), 204)


def test_zone_profile_errors(stack: Stack) -> None:
    def post(data: str) -> Any:
        return stack.api.post(AZP, json={"availability_zone_profile": {
            "name": "x", "provider_name": "amphora", "availability_zone_data": data}},
            token=stack.tokens.admin)

    assert "is not a valid option" in fault(post("nope"), 400)
    assert "Unknown amphora host" in fault(post(json.dumps({"hosts": ["elsewhere"]})), 400)
    assert "compute_zone" in fault(post(json.dumps({"compute_zone": "nova"})), 501)
    assert "hosts" in fault(post(json.dumps({"hosts": "one"})), 501)
    assert "is not a valid option for availability_zone_profile_id" in fault(
        stack.api.post(AZ, json={"availability_zone": {
            "name": "z", "availability_zone_profile_id": str(uuid.uuid4())}},
            token=stack.tokens.admin), 400)


def test_lb_zone(stack: Stack) -> None:
    admin = stack.tokens.admin
    body = {"vip_subnet_id": stack.vip_subnet()}

    def create(**fields: Any) -> Any:
        return stack.api.post(f"{LBAAS}/loadbalancers",
                              json={"loadbalancer": {**body, **fields}})

    assert fault(create(availability_zone="nowhere"), 400) == "Invalid availability zone."
    disabled = _zone(stack, enabled=False)
    assert fault(create(availability_zone=disabled["name"]), 400) == (
        f"The selected availability_zone is not allowed in this deployment: "
        f"{disabled['name']}")
    zone = _zone(stack)
    lb = expect(create(availability_zone=zone["name"]), 201)["loadbalancer"]
    assert lb["availability_zone"] == zone["name"]
    lb = stack.wait_for(lb["id"])
    assert lb["availability_zone"] == zone["name"]
    assert "in use" in fault(stack.api.delete(f"{AZ}/{zone['name']}", token=admin), 409)
    # valid_vip_networks: the VIP's network must be one of them
    subnet = expect(stack.api.get(f"/v2/subnets/{body['vip_subnet_id']}", token=admin),
                    200)["subnet"]
    narrow = _zone(stack, {"valid_vip_networks": [str(uuid.uuid4())]})
    assert "VIP network_id is not allowed" in fault(
        create(availability_zone=narrow["name"]), 400)
    wide = _zone(stack, {"valid_vip_networks": [subnet["network_id"]]})
    expect(create(availability_zone=wide["name"]), 201)
