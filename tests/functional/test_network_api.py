"""The Neutron-shaped network API: ports, security groups and rules, floating IPs.

FastAPI's TestClient against a real SQLite database; no controller runs, so
floating IP rows stay as the API leaves them (the controller's half is
exercised by ``test_openstack_cli_network_commands``).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from livia.api.app import create_app
from livia.api.context import ApiServices
from livia.domain.settings import Settings
from livia.domain.tokens import Role, Token
from livia.store import floatingips, networks, tables, tokens
from livia.store.database import Database
from livia.store.records import utcnow

ADMIN = {"X-Auth-Token": "admin-secret"}
MEMBER = {"X-Auth-Token": "member-p1"}
READER = {"X-Auth-Token": "reader-p1"}
OTHER = {"X-Auth-Token": "member-p2"}


@dataclass
class Api:
    client: TestClient
    db: Database
    wakes: list[int] = field(default_factory=list)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] = ADMIN,
             status: int = 201) -> dict[str, Any]:
        r = self.client.post(f"/v2.0{path}", json=body, headers=headers)
        assert r.status_code == status, r.text
        return dict(r.json())

    def get(self, path: str, headers: dict[str, str] = ADMIN, status: int = 200
            ) -> dict[str, Any]:
        r = self.client.get(f"/v2.0{path}", headers=headers)
        assert r.status_code == status, r.text
        return dict(r.json())

    def put(self, path: str, body: dict[str, Any], headers: dict[str, str] = ADMIN,
            status: int = 200) -> dict[str, Any]:
        r = self.client.put(f"/v2.0{path}", json=body, headers=headers)
        assert r.status_code == status, r.text
        return dict(r.json())

    def delete(self, path: str, headers: dict[str, str] = ADMIN, status: int = 204
               ) -> dict[str, Any]:
        r = self.client.delete(f"/v2.0{path}", headers=headers)
        assert r.status_code == status, r.text
        return dict(r.json()) if r.content else {}

    def fault(self, method: str, path: str, body: dict[str, Any] | None, status: int,
              headers: dict[str, str] = ADMIN) -> str:
        r = self.client.request(method, f"/v2.0{path}", json=body, headers=headers)
        assert r.status_code == status, r.text
        return str(r.json()["faultstring"])

    def network(self, name: str = "net", headers: dict[str, str] = ADMIN,
                external: bool = False) -> str:
        body = {"network": {"name": name, "router:external": external}}
        return str(self.post("/networks", body, headers)["network"]["id"])

    def subnet(self, network_id: str, cidr: str, headers: dict[str, str] = ADMIN,
               **extra: Any) -> str:
        version = 6 if ":" in cidr else 4
        body = {"subnet": {"network_id": network_id, "cidr": cidr, "ip_version": version,
                           **extra}}
        return str(self.post("/subnets", body, headers)["subnet"]["id"])

    def port(self, network_id: str, headers: dict[str, str] = ADMIN, **extra: Any
             ) -> dict[str, Any]:
        return dict(self.post("/ports", {"port": {"network_id": network_id, **extra}},
                              headers)["port"])

    def group(self, name: str = "sg", headers: dict[str, str] = ADMIN) -> dict[str, Any]:
        return dict(self.post("/security-groups", {"security_group": {"name": name}},
                              headers)["security_group"])

    def rule(self, group_id: str, headers: dict[str, str] = ADMIN, status: int = 201,
             **extra: Any) -> dict[str, Any]:
        body = {"security_group_rule": {"security_group_id": group_id,
                                        "direction": "ingress", **extra}}
        return self.post("/security-group-rules", body, headers, status)

    def fip_row(self, fip_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(tables.floatingips).where(
                tables.floatingips.c.id == fip_id)).one()
        return dict(row._mapping)

    def port_row(self, port_id: str | None) -> Any:
        assert port_id is not None
        with self.db.read() as conn:
            return networks.ports.get(conn, port_id)


def _token(db: Database, secret: str, project: str, role: Role) -> None:
    with db.write() as conn:
        tokens.records.insert(conn, Token(id=str(uuid.uuid4()), project_id=project, role=role,
                                          token_hash=tokens.hash_token(secret),
                                          description=None, created_at=utcnow()))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    db = Database("sqlite:///" + str(tmp_path / "t.db"))
    db.migrate()
    _token(db, "member-p1", "p1", Role.MEMBER)
    _token(db, "reader-p1", "p1", Role.READER)
    _token(db, "member-p2", "p2", Role.MEMBER)
    wakes: list[int] = []
    app = create_app(ApiServices(db=db, settings=Settings(),
                                 admin_token_hash=tokens.hash_token("admin-secret"),
                                 wake=lambda: wakes.append(1)))
    try:
        with TestClient(app) as client:
            yield Api(client, db, wakes)
    finally:
        db.dispose()


@pytest.fixture
def net(api: Api) -> tuple[str, str]:
    """A network and its /24 subnet, owned by project p1."""
    network_id = api.network("net1", MEMBER)
    return network_id, api.subnet(network_id, "10.20.0.0/24", MEMBER)


def _ips(port: dict[str, Any]) -> list[str]:
    return [f["ip_address"] for f in port["fixed_ips"]]


# -- ports --------------------------------------------------------------------

def test_port_create_has_neutron_fields_and_defaults(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    port = api.port(network_id, MEMBER, name="p1")
    assert port["fixed_ips"] == [{"subnet_id": subnet_id, "ip_address": "10.20.0.2"}]
    assert port["status"] == "DOWN" and port["admin_state_up"] is True
    assert port["security_groups"] == [] and port["allowed_address_pairs"] == []
    assert port["mac_address"].startswith("fa:16:3e:")
    assert port["project_id"] == port["tenant_id"] == "p1"
    assert port["binding:vnic_type"] == "normal" and port["port_security_enabled"] is True
    assert port["extra_dhcp_opts"] == [] and port["revision_number"] == 1
    assert port["device_owner"] == "" and port["device_id"] == ""
    assert port["created_at"].endswith("Z") and port["name"] == "p1"
    shown = api.get(f"/ports/{port['id']}", MEMBER)["port"]
    assert shown == port
    assert [p["id"] for p in api.get("/ports", MEMBER)["ports"]] == [port["id"]]


def test_port_create_with_every_field(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    group = api.group("web", MEMBER)
    port = api.port(network_id, MEMBER, name="full", description="d", admin_state_up=False,
                    mac_address="FA-16-3E-00-00-AB", device_id="dev-1",
                    device_owner="compute:nova", security_groups=[group["id"]],
                    fixed_ips=[{"subnet_id": subnet_id, "ip_address": "10.20.0.50"}],
                    allowed_address_pairs=[{"ip_address": "10.20.0.99"},
                                           {"ip_address": "10.30.0.0/24",
                                            "mac_address": "fa:16:3e:00:00:cd"}],
                    tags=["b", "a"], **{"binding:vnic_type": "normal"})
    assert port["mac_address"] == "fa:16:3e:00:00:ab"
    assert port["admin_state_up"] is False and port["description"] == "d"
    assert port["security_groups"] == [group["id"]] and _ips(port) == ["10.20.0.50"]
    assert port["allowed_address_pairs"] == [
        {"ip_address": "10.20.0.99", "mac_address": "fa:16:3e:00:00:ab"},
        {"ip_address": "10.30.0.0/24", "mac_address": "fa:16:3e:00:00:cd"}]
    assert port["tags"] == ["a", "b"]
    assert api.get(f"/ports/{port['id']}")["port"] == port


def test_port_ipam_hands_out_in_order_frees_on_delete_and_fills_up(api: Api) -> None:
    network_id = api.network("small")
    api.subnet(network_id, "10.21.0.0/29")  # gateway .1, pool .2-.6
    ports = [api.port(network_id) for _ in range(5)]
    assert [_ips(p)[0] for p in ports] == [f"10.21.0.{n}" for n in range(2, 7)]
    full = api.fault("POST", "/ports", {"port": {"network_id": network_id}}, 409)
    assert "No more IP addresses available" in full
    api.delete(f"/ports/{ports[1]['id']}")
    assert _ips(api.port(network_id)) == ["10.21.0.3"]


def test_port_default_address_comes_from_the_first_ipv4_subnet(api: Api) -> None:
    network_id = api.network("dual")
    api.subnet(network_id, "fd00:21::/64")
    v4 = api.subnet(network_id, "10.22.0.0/24")
    port = api.port(network_id)
    assert port["fixed_ips"] == [{"subnet_id": v4, "ip_address": "10.22.0.2"}]
    assert api.port(network_id, fixed_ips=[])["fixed_ips"] == []


def test_port_fixed_ips_by_subnet_address_or_both(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    assert _ips(api.port(network_id, fixed_ips=[{"ip_address": "10.20.0.7"}])) == ["10.20.0.7"]
    assert _ips(api.port(network_id, fixed_ips=[{"subnet_id": subnet_id}])) == ["10.20.0.2"]
    both = api.port(network_id, fixed_ips=[{"subnet_id": subnet_id, "ip_address": "10.20.0.9"}])
    assert both["fixed_ips"] == [{"subnet_id": subnet_id, "ip_address": "10.20.0.9"}]


def test_port_address_validation(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    other_net = api.network("other")
    other_subnet = api.subnet(other_net, "10.23.0.0/24")

    def fault(fixed: list[dict[str, str]], status: int) -> str:
        body = {"port": {"network_id": network_id, "fixed_ips": fixed}}
        return api.fault("POST", "/ports", body, status)

    assert "not a valid IP for the specified subnet" in fault(
        [{"subnet_id": subnet_id, "ip_address": "10.99.0.5"}], 400)
    assert "is in no subnet of network" in fault([{"ip_address": "10.99.0.5"}], 400)
    api.port(network_id, fixed_ips=[{"ip_address": "10.20.0.30"}])
    assert "already allocated" in fault([{"ip_address": "10.20.0.30"}], 409)
    assert "already allocated" in fault([{"ip_address": "10.20.0.1"}], 409)  # the gateway
    assert "network or broadcast address" in fault([{"ip_address": "10.20.0.255"}], 400)
    missing = str(uuid.uuid4())
    assert fault([{"subnet_id": missing}], 404) == f"Subnet {missing} not found."
    assert "is not on network" in fault([{"subnet_id": other_subnet}], 400)
    assert "needs a subnet_id, an ip_address" in fault([{}], 400)
    assert "Value should be IPv4 or IPv6 format" in fault([{"ip_address": "10.20.0.300"}], 400)
    gone = str(uuid.uuid4())
    body = {"port": {"network_id": gone}}
    assert api.fault("POST", "/ports", body, 404) == f"Network {gone} not found."
    assert "Mandatory field missing: network_id" in api.fault("POST", "/ports", {"port": {}}, 400)
    bad = {"port": {"network_id": network_id, "colour": "red"}}
    assert "Unknown attribute" in api.fault("POST", "/ports", bad, 400)


def test_port_mac_address_validation(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    for mac in ("fa:16:3e:00:00", "zz:16:3e:00:00:01", "01:00:5e:00:00:01", "00:00:00:00:00:00"):
        body = {"port": {"network_id": network_id, "mac_address": mac}}
        assert "mac_address" in api.fault("POST", "/ports", body, 400)
    taken = api.port(network_id, mac_address="fa:16:3e:12:34:56")
    body = {"port": {"network_id": network_id, "mac_address": "fa:16:3e:12:34:56"}}
    message = api.fault("POST", "/ports", body, 409)
    assert "already in use" in message and taken["id"] not in message
    # Another project learns no more than that the address is taken.
    other = api.network("net-p2", OTHER)
    api.subnet(other, "10.21.0.0/24", OTHER)
    body = {"port": {"network_id": other, "mac_address": "fa:16:3e:12:34:56"}}
    assert api.fault("POST", "/ports", body, 409, OTHER) == message


def test_port_security_groups_must_exist_and_be_visible(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    missing = str(uuid.uuid4())
    body = {"port": {"network_id": network_id, "security_groups": [missing]}}
    assert api.fault("POST", "/ports", body, 404, MEMBER) == (
        f"Security group {missing} not found.")
    foreign = api.group("theirs", OTHER)
    body = {"port": {"network_id": network_id, "security_groups": [foreign["id"]]}}
    api.fault("POST", "/ports", body, 404, MEMBER)


def test_port_update(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    port = api.port(network_id, MEMBER, name="a")
    group = api.group("g", MEMBER)
    body = {"port": {"name": "b", "description": "new", "admin_state_up": False,
                     "security_groups": [group["id"]], "tags": ["x"], "device_id": "vm-1",
                     "device_owner": "compute:nova",
                     "allowed_address_pairs": [{"ip_address": "10.20.0.200"}]}}
    updated = api.put(f"/ports/{port['id']}", body, MEMBER)["port"]
    assert (updated["name"], updated["description"], updated["admin_state_up"]) == (
        "b", "new", False)
    assert updated["security_groups"] == [group["id"]] and updated["tags"] == ["x"]
    assert (updated["device_id"], updated["device_owner"]) == ("vm-1", "compute:nova")
    assert updated["allowed_address_pairs"][0]["mac_address"] == port["mac_address"]
    assert updated["revision_number"] == 2 and updated["updated_at"] is not None
    assert _ips(updated) == _ips(port)
    api.fault("PUT", f"/ports/{port['id']}", {"port": {}}, 400, MEMBER)


def test_port_update_fixed_ips_reallocates(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    port = api.port(network_id, fixed_ips=[{"ip_address": "10.20.0.30"}])
    kept = api.put(f"/ports/{port['id']}",
                   {"port": {"fixed_ips": [{"subnet_id": subnet_id}]}})["port"]
    assert _ips(kept) == ["10.20.0.30"]  # naming only the subnet keeps the address
    assert kept["revision_number"] == 2
    moved = api.put(f"/ports/{port['id']}",
                    {"port": {"fixed_ips": [{"ip_address": "10.20.0.40"}]}})["port"]
    assert _ips(moved) == ["10.20.0.40"]
    assert _ips(api.port(network_id, fixed_ips=[{"ip_address": "10.20.0.30"}])) == [
        "10.20.0.30"]  # the old address was freed
    assert _ips(api.port(network_id)) == ["10.20.0.2"]
    two = api.put(f"/ports/{port['id']}", {"port": {"fixed_ips": [
        {"ip_address": "10.20.0.40"}, {"subnet_id": subnet_id}]}})["port"]
    assert _ips(two) == ["10.20.0.40", "10.20.0.3"]
    taken = {"port": {"fixed_ips": [{"ip_address": "10.20.0.2"}]}}
    assert "already allocated" in api.fault("PUT", f"/ports/{port['id']}", taken, 409)
    assert _ips(api.get(f"/ports/{port['id']}")["port"]) == ["10.20.0.40", "10.20.0.3"]


def test_managed_ports_cannot_be_deleted_or_moved(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    for owner in ("Octavia", "Octavia:vrrp", "livia:amphora-mgmt", "network:floatingip",
                  "compute:livia"):
        port = api.port(network_id, device_owner=owner, device_id="x")
        fault = api.fault("DELETE", f"/ports/{port['id']}", None, 409)
        assert f"belongs to {owner} x and is deleted with it" in fault
        move = {"port": {"fixed_ips": [{"ip_address": "10.20.0.250"}]}}
        assert "managed by Livia" in api.fault("PUT", f"/ports/{port['id']}", move, 409)
        renamed = api.put(f"/ports/{port['id']}", {"port": {"name": "fine"}})["port"]
        assert renamed["name"] == "fine"
    body = {"port": {"network_id": network_id, "device_owner": "Octavia"}}
    assert "reserved" in api.fault("POST", "/ports", body, 403, MEMBER)
    assert api.port(network_id, MEMBER, device_owner="compute:nova")["device_owner"] == (
        "compute:nova")


def test_port_delete(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    port = api.port(network_id, MEMBER)
    api.delete(f"/ports/{port['id']}", MEMBER)
    assert api.fault("GET", f"/ports/{port['id']}", None, 404) == f"Port {port['id']} not found."
    api.fault("DELETE", f"/ports/{port['id']}", None, 404)
    api.fault("GET", "/ports/not-a-uuid", None, 404)


def test_port_filters(api: Api, net: tuple[str, str]) -> None:
    network_id, subnet_id = net
    other_net = api.network("other")
    other_subnet = api.subnet(other_net, "10.24.0.0/24")
    group = api.group("g")
    a = api.port(network_id, name="a", device_id="dev-a", device_owner="compute:nova",
                 security_groups=[group["id"]])
    b = api.port(network_id, name="b", fixed_ips=[{"ip_address": "10.20.0.77"}])
    c = api.port(other_net, name="c", mac_address="fa:16:3e:aa:bb:cc")

    def ids(query: str) -> list[str]:
        return sorted(p["id"] for p in api.get(f"/ports?{query}")["ports"])

    assert ids(f"network_id={network_id}") == sorted([a["id"], b["id"]])
    assert ids("device_id=dev-a") == [a["id"]]
    assert ids("device_owner=compute:nova") == [a["id"]]
    assert ids("mac_address=fa:16:3e:aa:bb:cc") == [c["id"]]
    assert ids("name=b") == [b["id"]]
    assert ids("fixed_ips=ip_address%3D10.20.0.77") == [b["id"]]
    assert ids("fixed_ips=ip_address=10.20.0.77") == [b["id"]]
    assert ids(f"fixed_ips=subnet_id%3D{other_subnet}") == [c["id"]]
    assert ids(f"fixed_ips=subnet_id%3D{subnet_id}&fixed_ips=ip_address%3D10.24.0.2") == []
    assert ids("fixed_ips=ip_address_substr%3D.77") == [b["id"]]
    assert ids(f"security_groups={group['id']}") == [a["id"]]
    assert ids("name=a&name=c") == sorted([a["id"], c["id"]])
    assert "Invalid fixed_ips filter" in api.fault("GET", "/ports?fixed_ips=mac=1", None, 400)
    fields = api.get("/ports?name=a&fields=id&fields=name")["ports"]
    assert fields == [{"id": a["id"], "name": "a"}]
    page = api.get("/ports?limit=2")
    assert len(page["ports"]) == 2 and page["ports_links"][0]["rel"] == "next"


# -- security groups ------------------------------------------------------------

def test_security_group_crud_and_default_rules(api: Api) -> None:
    group = api.post("/security-groups", {"security_group": {
        "name": "web", "description": "front", "tags": ["t"]}}, MEMBER)["security_group"]
    assert (group["name"], group["description"], group["stateful"]) == ("web", "front", True)
    assert group["revision_number"] == 1 and group["tags"] == ["t"]
    assert group["project_id"] == group["tenant_id"] == "p1"
    rules = group["security_group_rules"]
    assert sorted((r["direction"], r["ethertype"], r["protocol"], r["remote_ip_prefix"])
                  for r in rules) == [("egress", "IPv4", None, None),
                                      ("egress", "IPv6", None, None)]
    assert all(r["security_group_id"] == group["id"] and r["id"] for r in rules)
    by_name = api.get("/security-groups?name=web", MEMBER)["security_groups"]
    assert [g["id"] for g in by_name] == [group["id"]]
    assert api.get(f"/security-groups/{group['id']}", MEMBER)["security_group"] == group
    body = {"security_group": {"name": "web2", "description": None, "stateful": False}}
    updated = api.put(f"/security-groups/{group['id']}", body, MEMBER)["security_group"]
    assert (updated["name"], updated["description"], updated["stateful"]) == (
        "web2", "", False)
    assert updated["revision_number"] == 2
    api.fault("PUT", f"/security-groups/{group['id']}", {"security_group": {}}, 400, MEMBER)
    api.delete(f"/security-groups/{group['id']}", MEMBER)
    assert api.fault("GET", f"/security-groups/{group['id']}", None, 404) == (
        f"Security group {group['id']} not found.")
    rule_id = rules[0]["id"]
    api.fault("GET", f"/security-group-rules/{rule_id}", None, 404)


def test_security_group_in_use_by_a_port_cannot_be_deleted(api: Api,
                                                          net: tuple[str, str]) -> None:
    network_id, _ = net
    group = api.group("g", MEMBER)
    port = api.port(network_id, MEMBER, security_groups=[group["id"]])
    fault = api.fault("DELETE", f"/security-groups/{group['id']}", None, 409, MEMBER)
    assert f"in use by port {port['id']}" in fault
    api.put(f"/ports/{port['id']}", {"port": {"security_groups": []}}, MEMBER)
    api.delete(f"/security-groups/{group['id']}", MEMBER)


def test_deleting_a_group_drops_rules_that_name_it(api: Api) -> None:
    target, other = api.group("target"), api.group("other")
    api.rule(other["id"], remote_group_id=target["id"], protocol="tcp",
             port_range_min=22, port_range_max=22)
    before = api.get(f"/security-groups/{other['id']}")["security_group"]["revision_number"]
    api.delete(f"/security-groups/{target['id']}")
    after = api.get(f"/security-groups/{other['id']}")["security_group"]
    assert [r["remote_group_id"] for r in after["security_group_rules"]] == [None, None]
    assert after["revision_number"] == before + 1


def test_load_balancer_group_is_found_by_name_takes_rules_and_stays(
        api: Api, net: tuple[str, str]) -> None:
    _, subnet_id = net
    lb = api.post("/lbaas/loadbalancers", {"loadbalancer": {"vip_subnet_id": subnet_id}},
                  MEMBER)["loadbalancer"]
    found = api.get(f"/security-groups?name=lb-{lb['id']}", MEMBER)["security_groups"]
    assert len(found) == 1
    group = found[0]
    rule = api.rule(group["id"], MEMBER, protocol="icmp")["security_group_rule"]
    assert (rule["protocol"], rule["project_id"]) == ("icmp", "p1")
    shown = api.get(f"/security-groups/{group['id']}", MEMBER)["security_group"]
    assert shown["revision_number"] == group["revision_number"] + 1
    fault = api.fault("DELETE", f"/security-groups/{group['id']}", None, 409, MEMBER)
    assert f"belongs to load balancer {lb['id']}" in fault
    rename = {"security_group": {"name": "mine"}}
    api.fault("PUT", f"/security-groups/{group['id']}", rename, 409, MEMBER)
    vip = api.get(f"/ports/{lb['vip_port_id']}", MEMBER)["port"]
    assert vip["security_groups"] == [group["id"]]
    assert "deleted with it" in api.fault("DELETE", f"/ports/{vip['id']}", None, 409, MEMBER)


# -- security group rules ---------------------------------------------------------

def test_rule_create_show_list_delete_and_revision(api: Api) -> None:
    group = api.group("g", MEMBER)
    waked = len(api.wakes)
    rule = api.rule(group["id"], MEMBER, protocol="tcp", port_range_min=80,
                    port_range_max=8080, remote_ip_prefix="192.0.2.7/24",
                    description="web")["security_group_rule"]
    assert (rule["direction"], rule["ethertype"], rule["protocol"]) == ("ingress", "IPv4", "tcp")
    assert (rule["port_range_min"], rule["port_range_max"]) == (80, 8080)
    assert rule["remote_ip_prefix"] == "192.0.2.0/24" and rule["remote_group_id"] is None
    assert rule["description"] == "web" and rule["project_id"] == "p1"
    assert len(api.wakes) == waked + 1

    def revision() -> int:
        return int(api.get(f"/security-groups/{group['id']}")["security_group"]
                   ["revision_number"])

    assert revision() == 2
    assert api.get(f"/security-group-rules/{rule['id']}", MEMBER)["security_group_rule"] == rule
    listed = api.get(f"/security-group-rules?security_group_id={group['id']}&direction=ingress",
                     MEMBER)["security_group_rules"]
    assert [r["id"] for r in listed] == [rule["id"]]
    assert len(api.get(f"/security-group-rules?security_group_id={group['id']}",
                       MEMBER)["security_group_rules"]) == 3
    api.delete(f"/security-group-rules/{rule['id']}", MEMBER)
    assert revision() == 3 and len(api.wakes) == waked + 2
    assert api.fault("GET", f"/security-group-rules/{rule['id']}", None, 404) == (
        f"Security group rule {rule['id']} not found.")


@pytest.mark.parametrize(("rule", "expected"), [
    ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}, "min not above max"),
    ({"protocol": "udp", "port_range_min": 53}, "give both port_range_min and port_range_max"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 10}, "Port 0"),
    ({"port_range_min": 22, "port_range_max": 22}, "need a protocol"),
    ({"protocol": "vrrp", "port_range_min": 1, "port_range_max": 2}, "has no ports"),
    ({"protocol": "47", "port_range_min": 1, "port_range_max": 2}, "has no ports"),
    ({"protocol": "icmp", "port_range_max": 0}, "needs an ICMP type"),
    ({"protocol": "icmp", "port_range_min": 300}, "ICMP type (port_range_min) 300"),
    ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 70000}, "port_range_max"),
    ({"protocol": "icmpv6"}, "must be IPv6"),
    ({"protocol": "58"}, "must be IPv6"),
    ({"protocol": "foo"}, "Protocol foo is not supported"),
    ({"protocol": "256"}, "within 0-255"),
    ({"remote_ip_prefix": "10.0.0.0/33"}, "Value should be IPv4 or IPv6 CIDR format"),
    ({"remote_ip_prefix": "2001:db8::/64"}, "must match"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}, "must match"),
    ({"ethertype": "IPX"}, "ethertype"),
    ({"direction": "sideways"}, "direction"),
])
def test_rule_validation(api: Api, rule: dict[str, Any], expected: str) -> None:
    group = api.group()
    body = {"security_group_rule": {"security_group_id": group["id"], "direction": "ingress",
                                    **rule}}
    assert expected in api.fault("POST", "/security-group-rules", body, 400)
    after = api.get(f"/security-groups/{group['id']}")["security_group"]
    assert after["revision_number"] == 1 and len(after["security_group_rules"]) == 2


def test_rule_references_must_exist(api: Api) -> None:
    group = api.group()
    missing = str(uuid.uuid4())
    body = {"security_group_rule": {"security_group_id": missing, "direction": "ingress"}}
    assert api.fault("POST", "/security-group-rules", body, 404) == (
        f"Security group {missing} not found.")
    body = {"security_group_rule": {"security_group_id": group["id"], "direction": "ingress",
                                    "remote_group_id": missing}}
    api.fault("POST", "/security-group-rules", body, 404)
    body["security_group_rule"].update(remote_group_id=group["id"],
                                       remote_ip_prefix="10.0.0.0/8")
    assert "not both" in api.fault("POST", "/security-group-rules", body, 400)
    body = {"security_group_rule": {"security_group_id": group["id"]}}
    assert "Mandatory field missing: direction" in api.fault(
        "POST", "/security-group-rules", body, 400)


def test_rule_accepted_forms(api: Api) -> None:
    group = api.group()
    gid = group["id"]
    icmp = api.rule(gid, protocol="ICMP", port_range_min=8, port_range_max=0)
    assert icmp["security_group_rule"]["protocol"] == "icmp"
    v6 = api.rule(gid, ethertype="ipv6", protocol="icmp", remote_ip_prefix="2001:db8::/32")
    assert v6["security_group_rule"]["ethertype"] == "IPv6"
    assert api.rule(gid, protocol=132, port_range_min=5000,
                    port_range_max=5001)["security_group_rule"]["protocol"] == "132"
    assert api.rule(gid, protocol="any")["security_group_rule"]["protocol"] is None
    assert api.rule(gid, protocol="vrrp")["security_group_rule"]["protocol"] == "vrrp"
    with_group = api.rule(gid, protocol="tcp", port_range_min=22, port_range_max=22,
                          remote_group_id=gid)["security_group_rule"]
    assert with_group["remote_group_id"] == gid


def test_duplicate_rules_are_refused(api: Api) -> None:
    group = api.group()
    gid = group["id"]
    first = api.rule(gid, protocol="tcp", port_range_min=22, port_range_max=22,
                     remote_ip_prefix="0.0.0.0/0")["security_group_rule"]
    expected = f"Security group rule already exists. Rule id is {first['id']}."
    for same in ({"protocol": "tcp"}, {"protocol": "6"}, {"protocol": "TCP", "ethertype": "ipv4"}):
        body = {"security_group_rule": {"security_group_id": gid, "direction": "ingress",
                                        "port_range_min": 22, "port_range_max": 22,
                                        "description": "again", **same}}
        assert api.fault("POST", "/security-group-rules", body, 409) == expected
    default_egress = next(r for r in group["security_group_rules"] if r["ethertype"] == "IPv4")
    body = {"security_group_rule": {"security_group_id": gid, "direction": "egress",
                                    "remote_ip_prefix": "0.0.0.0/0"}}
    assert default_egress["id"] in api.fault("POST", "/security-group-rules", body, 409)
    api.rule(gid, protocol="tcp", port_range_min=22, port_range_max=22,
             remote_ip_prefix="10.0.0.0/8")
    v6 = api.rule(gid, ethertype="IPv6", protocol="icmp")["security_group_rule"]
    body = {"security_group_rule": {"security_group_id": gid, "direction": "ingress",
                                    "ethertype": "IPv6", "protocol": "ipv6-icmp"}}
    assert v6["id"] in api.fault("POST", "/security-group-rules", body, 409)
    revision = api.get(f"/security-groups/{gid}")["security_group"]["revision_number"]
    assert revision == 4  # three rules made it, the duplicates did not count


# -- RBAC -----------------------------------------------------------------------------

def test_authentication_is_required(api: Api) -> None:
    for path in ("/ports", "/security-groups", "/security-group-rules", "/floatingips"):
        assert api.client.get(f"/v2.0{path}").status_code == 401
        assert api.client.get(f"/v2.0{path}", headers={"X-Auth-Token": "nope"}).status_code == 401


def test_reader_reads_but_cannot_write(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    port = api.port(network_id, MEMBER)
    group = api.group("g", MEMBER)
    assert api.get(f"/ports/{port['id']}", READER)["port"]["id"] == port["id"]
    assert [g["id"] for g in api.get("/security-groups", READER)["security_groups"]] == [
        group["id"]]
    writes = [
        ("POST", "/ports", {"port": {"network_id": network_id}}),
        ("PUT", f"/ports/{port['id']}", {"port": {"name": "x"}}),
        ("DELETE", f"/ports/{port['id']}", None),
        ("POST", "/security-groups", {"security_group": {"name": "x"}}),
        ("PUT", f"/security-groups/{group['id']}", {"security_group": {"name": "x"}}),
        ("DELETE", f"/security-groups/{group['id']}", None),
        ("POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": group["id"], "direction": "ingress"}}),
        ("DELETE", f"/security-group-rules/{group['security_group_rules'][0]['id']}", None),
        ("POST", "/floatingips", {"floatingip": {"floating_network_id": network_id}}),
    ]
    for method, path, body in writes:
        api.fault(method, path, body, 403, READER)


def test_other_projects_objects_are_not_found(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    ext = api.network("ext", external=True)
    api.subnet(ext, "198.18.50.0/24")
    port = api.port(network_id, MEMBER)
    group = api.group("g", MEMBER)
    rule_id = group["security_group_rules"][0]["id"]
    fip = api.post("/floatingips", {"floatingip": {"floating_network_id": ext}},
                   MEMBER)["floatingip"]
    for path, body in ((f"/ports/{port['id']}", {"port": {"name": "x"}}),
                       (f"/security-groups/{group['id']}", {"security_group": {"name": "x"}}),
                       (f"/floatingips/{fip['id']}", {"floatingip": {"description": "x"}})):
        api.fault("GET", path, None, 404, OTHER)
        api.fault("PUT", path, body, 404, OTHER)
        api.fault("DELETE", path, None, 404, OTHER)
    api.fault("GET", f"/security-group-rules/{rule_id}", None, 404, OTHER)
    api.fault("DELETE", f"/security-group-rules/{rule_id}", None, 404, OTHER)
    body = {"security_group_rule": {"security_group_id": group["id"], "direction": "ingress"}}
    api.fault("POST", "/security-group-rules", body, 404, OTHER)
    api.fault("POST", "/ports", {"port": {"network_id": network_id}}, 404, OTHER)
    for path, key in (("/ports", "ports"), ("/security-groups", "security_groups"),
                      ("/security-group-rules", "security_group_rules"),
                      ("/floatingips", "floatingips")):
        assert api.get(path, OTHER)[key] == []
        assert len(api.get(path, ADMIN)[key]) >= 1
    body = {"floatingip": {"floating_network_id": ext, "port_id": port["id"]}}
    api.fault("POST", "/floatingips", body, 404, OTHER)


# -- floating IPs -------------------------------------------------------------------

@pytest.fixture
def ext(api: Api) -> tuple[str, str]:
    network_id = api.network("ext", external=True)
    return network_id, api.subnet(network_id, "198.18.60.0/24")


def test_floating_ip_needs_an_external_network(api: Api, net: tuple[str, str]) -> None:
    network_id, _ = net
    body = {"floatingip": {"floating_network_id": network_id}}
    fault = api.fault("POST", "/floatingips", body, 400, MEMBER)
    assert f"Network {network_id} is not an external network" in fault
    missing = str(uuid.uuid4())
    body = {"floatingip": {"floating_network_id": missing}}
    assert api.fault("POST", "/floatingips", body, 404) == f"Network {missing} not found."
    bare = api.network("bare", external=True)
    body = {"floatingip": {"floating_network_id": bare}}
    assert "has no IPv4 subnet" in api.fault("POST", "/floatingips", body, 400)


def test_floating_ip_allocate_unassociated(api: Api, ext: tuple[str, str]) -> None:
    ext_id, _ = ext
    fip = api.post("/floatingips", {"floatingip": {
        "floating_network_id": ext_id, "description": "d", "tags": ["t"]}},
        MEMBER)["floatingip"]
    assert fip["floating_ip_address"] == "198.18.60.2" and fip["status"] == "DOWN"
    assert (fip["port_id"], fip["fixed_ip_address"], fip["router_id"]) == (None, None, None)
    assert fip["project_id"] == fip["tenant_id"] == "p1" and fip["tags"] == ["t"]
    assert fip["description"] == "d" and fip["revision_number"] == 1
    row = api.fip_row(fip["id"])
    assert (row["applied"], row["pending_delete"], row["nat_port_id"]) == (False, False, None)
    outer = api.port_row(row["floating_port_id"])
    assert (outer.device_owner, outer.device_id, outer.network_id) == (
        "network:floatingip", fip["id"], ext_id)
    assert outer.first_ip == "198.18.60.2"
    assert api.wakes
    second = api.post("/floatingips", {"floatingip": {"floating_network_id": ext_id}},
                      MEMBER)["floatingip"]
    assert second["floating_ip_address"] == "198.18.60.3"
    chosen = api.post("/floatingips", {"floatingip": {
        "floating_network_id": ext_id, "floating_ip_address": "198.18.60.77"}})["floatingip"]
    assert chosen["floating_ip_address"] == "198.18.60.77"
    taken = {"floatingip": {"floating_network_id": ext_id, "floating_ip_address": "198.18.60.77"}}
    assert "already allocated" in api.fault("POST", "/floatingips", taken, 409)
    outside = {"floatingip": {"floating_network_id": ext_id,
                              "floating_ip_address": "198.18.61.1"}}
    assert "is in no IPv4 subnet" in api.fault("POST", "/floatingips", outside, 400)
    assert api.get(f"/floatingips/{fip['id']}", MEMBER)["floatingip"] == fip
    listed = api.get("/floatingips?floating_ip_address=198.18.60.3", MEMBER)["floatingips"]
    assert [f["id"] for f in listed] == [second["id"]]


def test_floating_ip_associate_on_create(api: Api, ext: tuple[str, str],
                                         net: tuple[str, str]) -> None:
    ext_id, _ = ext
    network_id, subnet_id = net
    port = api.port(network_id, MEMBER)
    fip = api.post("/floatingips", {"floatingip": {"floating_network_id": ext_id,
                                                   "port_id": port["id"]}},
                   MEMBER)["floatingip"]
    assert (fip["port_id"], fip["fixed_ip_address"], fip["status"]) == (
        port["id"], "10.20.0.2", "DOWN")
    row = api.fip_row(fip["id"])
    assert row["applied"] is False and row["pending_delete"] is False
    nat = api.port_row(row["nat_port_id"])
    assert (nat.device_owner, nat.device_id, nat.network_id) == (
        "network:router_gateway", fip["id"], network_id)
    assert nat.fixed_ips[0].subnet_id == subnet_id and nat.first_ip == "10.20.0.3"
    again = {"floatingip": {"floating_network_id": ext_id, "port_id": port["id"]}}
    assert "already has floating IP" in api.fault("POST", "/floatingips", again, 409, MEMBER)
    wrong_ip = {"floatingip": {"floating_network_id": ext_id, "port_id": port["id"],
                               "fixed_ip_address": "10.20.0.99"}}
    assert "does not have fixed IPv4 address" in api.fault("POST", "/floatingips", wrong_ip,
                                                          400, MEMBER)
    no_port = {"floatingip": {"floating_network_id": ext_id, "fixed_ip_address": "10.20.0.2"}}
    assert "needs a port_id" in api.fault("POST", "/floatingips", no_port, 400, MEMBER)


def test_floating_ip_associate_reassociate_disassociate(api: Api, ext: tuple[str, str],
                                                        net: tuple[str, str]) -> None:
    ext_id, _ = ext
    network_id, _ = net
    first, second = api.port(network_id, MEMBER), api.port(network_id, MEMBER)
    fip = api.post("/floatingips", {"floatingip": {"floating_network_id": ext_id}},
                   MEMBER)["floatingip"]
    path = f"/floatingips/{fip['id']}"

    def converge() -> None:  # what the controller does once the NAT matches the row
        with api.db.write() as conn:
            floatingips.records.update(conn, fip["id"], applied=True, status="ACTIVE")

    converge()
    one = api.put(path, {"floatingip": {"port_id": first["id"]}}, MEMBER)["floatingip"]
    assert (one["port_id"], one["fixed_ip_address"], one["status"]) == (
        first["id"], _ips(first)[0], "DOWN")
    row = api.fip_row(fip["id"])
    assert row["applied"] is False and one["revision_number"] == 2
    first_nat = row["nat_port_id"]
    assert api.port_row(first_nat) is not None
    converge()
    two = api.put(path, {"floatingip": {"port_id": second["id"]}}, MEMBER)["floatingip"]
    assert (two["port_id"], two["fixed_ip_address"]) == (second["id"], _ips(second)[0])
    row = api.fip_row(fip["id"])
    assert row["applied"] is False and row["nat_port_id"] != first_nat
    assert api.port_row(first_nat) is None
    second_nat = row["nat_port_id"]
    converge()
    off = api.put(path, {"floatingip": {"port_id": None}}, MEMBER)["floatingip"]
    assert (off["port_id"], off["fixed_ip_address"], off["status"]) == (None, None, "DOWN")
    row = api.fip_row(fip["id"])
    assert (row["applied"], row["nat_port_id"]) == (False, None)
    assert api.port_row(second_nat) is None
    assert api.port_row(row["floating_port_id"]) is not None
    desc = api.put(path, {"floatingip": {"description": "kept"}}, MEMBER)["floatingip"]
    assert desc["description"] == "kept" and desc["floating_ip_address"] == (
        fip["floating_ip_address"])
    api.fault("PUT", path, {"floatingip": {}}, 400, MEMBER)
    on_ext = {"floatingip": {"port_id": row["floating_port_id"]}}
    assert "on the external network itself" in api.fault("PUT", path, on_ext, 400)


def test_floating_ip_delete_marks_the_row_for_the_controller(
        api: Api, ext: tuple[str, str], net: tuple[str, str]) -> None:
    ext_id, _ = ext
    network_id, _ = net
    port = api.port(network_id, MEMBER)
    fip = api.post("/floatingips", {"floatingip": {"floating_network_id": ext_id,
                                                   "port_id": port["id"]}},
                   MEMBER)["floatingip"]
    waked = len(api.wakes)
    api.delete(f"/floatingips/{fip['id']}", MEMBER)
    assert len(api.wakes) == waked + 1
    row = api.fip_row(fip["id"])
    assert (row["pending_delete"], row["applied"]) == (True, False)
    assert api.port_row(row["floating_port_id"]) is not None  # the controller removes them
    assert api.port_row(row["nat_port_id"]) is not None
    assert api.fault("GET", f"/floatingips/{fip['id']}", None, 404, MEMBER) == (
        f"Floating IP {fip['id']} not found.")
    assert api.get("/floatingips", MEMBER)["floatingips"] == []
    api.fault("DELETE", f"/floatingips/{fip['id']}", None, 404, MEMBER)
    api.fault("PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}}, 404)


def test_deleting_a_port_disassociates_its_floating_ip(api: Api, ext: tuple[str, str],
                                                       net: tuple[str, str]) -> None:
    ext_id, _ = ext
    network_id, _ = net
    port = api.port(network_id, MEMBER)
    fip = api.post("/floatingips", {"floatingip": {"floating_network_id": ext_id,
                                                   "port_id": port["id"]}},
                   MEMBER)["floatingip"]
    nat_id = api.fip_row(fip["id"])["nat_port_id"]
    api.delete(f"/ports/{port['id']}", MEMBER)
    after = api.get(f"/floatingips/{fip['id']}", MEMBER)["floatingip"]
    assert (after["port_id"], after["fixed_ip_address"]) == (None, None)
    row = api.fip_row(fip["id"])
    assert (row["applied"], row["nat_port_id"]) == (False, None)
    assert api.port_row(nat_id) is None


def test_extensions_are_listed(api: Api) -> None:
    aliases = {e["alias"] for e in api.get("/extensions")["extensions"]}
    assert {"security-group", "external-net", "tag-ports-during-bulk-creation"} <= aliases
    assert api.get("/extensions/external-net")["extension"]["alias"] == "external-net"
    api.fault("GET", "/extensions/dvr", None, 404)


# -- the real openstack CLI against `livia serve --driver fake` ----------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_banner(proc: subprocess.Popen[str], timeout: float) -> None:
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if "Livia is serving" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout):
        raise AssertionError(f"livia serve did not start: {''.join(seen)}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    secret = secrets.token_urlsafe(16)
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    cmd = [str(bin_dir / "livia"), "serve", "--driver", "fake",
           "--state-dir", str(tmp_path / "state"), "--port", str(port),
           "--health-port", str(_free_port()),
           "--name-prefix", "lvt" + secrets.token_hex(1),
           "--mgmt-cidr", f"198.19.{secrets.randbelow(200) + 20}.0/24"]
    env = {**os.environ, "LIVIA_ADMIN_TOKEN": secret}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        _wait_for_banner(proc, 30)
        yield f"http://127.0.0.1:{port}", secret
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.clients
def test_openstack_cli_network_commands(served: tuple[str, str]) -> None:
    endpoint, secret = served
    openstack = str(Path(sys.executable).parent / "openstack")

    def run(*args: str) -> str:
        cmd = [openstack, "--os-auth-type", "admin_token", "--os-token", secret,
               "--os-endpoint", endpoint, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def value(*args: str) -> str:
        return run(*args, "-f", "value").strip()

    assert value("network", "create", "--external", "ext", "-c", "router:external") == "True"
    run("subnet", "create", "--network", "ext", "--subnet-range", "198.18.70.0/24", "extsub")
    run("network", "create", "lvt-net")
    run("subnet", "create", "--network", "lvt-net", "--subnet-range", "10.31.0.0/24", "lvt-sub")
    port = run("port", "create", "--network", "lvt-net", "--fixed-ip",
               "subnet=lvt-sub,ip-address=10.31.0.10", "--tag", "web", "lvt-port")
    assert "10.31.0.10" in port and "web" in port
    assert "sg1" in value("security", "group", "create", "sg1", "-c", "name")
    rule = value("security", "group", "rule", "create", "--protocol", "icmp", "sg1",
                 "-c", "protocol")
    assert rule == "icmp"
    rules = run("security", "group", "rule", "list", "sg1")
    assert "icmp" in rules and rules.count("egress") == 2
    fip = value("floating", "ip", "create", "ext", "-c", "floating_ip_address")
    assert fip == "198.18.70.2"
    run("floating", "ip", "set", "--port", "lvt-port", fip)
    assert value("floating", "ip", "show", fip, "-c", "fixed_ip_address") == "10.31.0.10"
    deadline = time.monotonic() + 20
    while value("floating", "ip", "show", fip, "-c", "status") != "ACTIVE":
        assert time.monotonic() < deadline, "the controller did not plumb the floating IP"
        time.sleep(0.3)
    run("floating", "ip", "unset", "--port", fip)
    assert value("floating", "ip", "show", fip, "-c", "port_id") == "None"
    listed = run("port", "list", "--fixed-ip", "ip-address=10.31.0.10")
    assert "lvt-port" in listed
    run("port", "delete", "lvt-port")
    assert "lvt-port" not in run("port", "list")
    run("floating", "ip", "delete", fip)
    assert fip not in run("floating", "ip", "list")
