"""The seed's walk-through with the real ``openstack`` CLI against ``livia serve --driver fake``.

Every command must exit 0 and show back what was set; ``--wait`` makes the
CLI poll until the load balancer is ACTIVE again, as a user's script would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from livia_server import LiviaServer


@dataclass
class Built:
    network: dict[str, Any]
    subnet: dict[str, Any]
    lb: dict[str, Any]
    listener: dict[str, Any]
    pool: dict[str, Any]
    members: list[dict[str, Any]]
    monitor: dict[str, Any]
    policy: dict[str, Any]
    rule: dict[str, Any]


def _network(s: LiviaServer, name: str, cidr: str) -> tuple[dict[str, Any], dict[str, Any]]:
    net = s.cli_json("network", "create", name)
    assert net["name"] == name and net["status"] == "ACTIVE"
    sub = s.cli_json("subnet", "create", "--network", name, "--subnet-range", cidr,
                     f"{name}-subnet")
    assert sub["cidr"] == cidr and sub["network_id"] == net["id"]
    return net, sub


def _load_balancer(s: LiviaServer, subnet: dict[str, Any]) -> dict[str, Any]:
    lb = s.cli_json("loadbalancer", "create", "--name", "lb1", "--vip-subnet-id", subnet["id"],
                    "--wait")
    assert lb["name"] == "lb1" and lb["vip_subnet_id"] == subnet["id"]
    assert lb["provisioning_status"] == "ACTIVE"
    assert lb["vip_address"].startswith("192.168.0.")
    return dict(lb)


def _listener_and_pool(s: LiviaServer) -> tuple[dict[str, Any], dict[str, Any]]:
    listener = s.cli_json("loadbalancer", "listener", "create", "--name", "l1", "--protocol",
                          "HTTP", "--protocol-port", "80", "--wait", "lb1")
    assert (listener["name"], listener["protocol"], listener["protocol_port"]) == (
        "l1", "HTTP", 80)
    pool = s.cli_json("loadbalancer", "pool", "create", "--name", "p1", "--lb-algorithm",
                      "SOURCE_IP", "--listener", "l1", "--protocol", "HTTP", "--wait")
    assert (pool["name"], pool["lb_algorithm"], pool["protocol"]) == ("p1", "SOURCE_IP", "HTTP")
    assert pool["listeners"] == [{"id": listener["id"]}]
    return dict(listener), dict(pool)


def _members(s: LiviaServer) -> list[dict[str, Any]]:
    out = []
    for name, address, weight in (("m1", "192.168.0.10", 1), ("m2", "192.168.0.11", 2)):
        m = s.cli_json("loadbalancer", "member", "create", "--name", name, "--address", address,
                       "--protocol-port", "80", "--weight", str(weight), "--wait", "p1")
        assert (m["address"], m["protocol_port"], m["weight"]) == (address, 80, weight)
        assert m["provisioning_status"] == "ACTIVE"
        out.append(dict(m))
    return out


def _monitors(s: LiviaServer, pool: dict[str, Any]) -> dict[str, Any]:
    """A PING monitor, then replaced by HTTP GET /api expecting 200 (the seed's step 6)."""
    ping = s.cli_json("loadbalancer", "healthmonitor", "create", "--name", "hm-ping",
                      "--type", "PING", "--delay", "5", "--timeout", "3", "--max-retries", "3",
                      "--wait", "p1")
    assert (ping["type"], ping["delay"], ping["timeout"], ping["max_retries"]) == (
        "PING", 5, 3, 3)
    assert ping["pools"] == [{"id": pool["id"]}]
    s.cli_ok("loadbalancer", "healthmonitor", "delete", "--wait", ping["id"])
    listed = s.cli_json("loadbalancer", "healthmonitor", "list")
    assert ping["id"] not in [h["id"] for h in listed]
    http = s.cli_json("loadbalancer", "healthmonitor", "create", "--name", "hm-http",
                      "--type", "HTTP", "--http-method", "GET", "--url-path", "/api",
                      "--expected-codes", "200", "--delay", "5", "--timeout", "3",
                      "--max-retries", "3", "--wait", "p1")
    assert (http["type"], http["http_method"], http["url_path"], http["expected_codes"]) == (
        "HTTP", "GET", "/api", "200")
    return dict(http)


def _l7(s: LiviaServer, listener: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    policy = s.cli_json("loadbalancer", "l7policy", "create", "--name", "pol1", "--action",
                        "REDIRECT_TO_URL", "--redirect-url", "http://example.com/", "--wait",
                        "l1")
    assert (policy["action"], policy["redirect_url"], policy["listener_id"]) == (
        "REDIRECT_TO_URL", "http://example.com/", listener["id"])
    rule = s.cli_json("loadbalancer", "l7rule", "create", "--type", "PATH", "--compare-type",
                      "REGEX", "--value", "^/old", "--wait", policy["id"])
    assert (rule["type"], rule["compare_type"], rule["value"]) == ("PATH", "REGEX", "^/old")
    return dict(policy), dict(rule)


def _build(s: LiviaServer) -> Built:
    net, sub = _network(s, "tenant-net", "192.168.0.0/24")
    lb = _load_balancer(s, sub)
    listener, pool = _listener_and_pool(s)
    members = _members(s)
    monitor = _monitors(s, pool)
    policy, rule = _l7(s, listener)
    return Built(net, sub, lb, listener, pool, members, monitor, policy, rule)


def _check_status_tree(s: LiviaServer, b: Built) -> None:
    # `status show` always prints JSON (it takes no -f)
    tree = json.loads(s.cli_ok("loadbalancer", "status", "show", "lb1"))["loadbalancer"]
    assert tree["id"] == b.lb["id"] and tree["provisioning_status"] == "ACTIVE"
    (listener,) = tree["listeners"]
    assert listener["id"] == b.listener["id"] and listener["name"] == "l1"
    (pool,) = listener["pools"]
    assert pool["id"] == b.pool["id"]
    assert pool["health_monitor"]["id"] == b.monitor["id"]
    assert pool["health_monitor"]["type"] == "HTTP"
    assert sorted(m["id"] for m in pool["members"]) == sorted(m["id"] for m in b.members)
    assert {m["address"] for m in pool["members"]} == {"192.168.0.10", "192.168.0.11"}
    stats = s.cli_json("loadbalancer", "stats", "show", "lb1")
    assert set(stats) >= {"active_connections", "bytes_in", "bytes_out", "request_errors",
                          "total_connections"}
    assert all(isinstance(v, int) and v >= 0 for v in stats.values())


def _check_lists_and_shows(s: LiviaServer, b: Built) -> None:
    (lb,) = s.cli_json("loadbalancer", "list")
    assert lb["id"] == b.lb["id"] and lb["name"] == "lb1"
    shown = s.cli_json("loadbalancer", "show", "lb1")
    assert shown["vip_address"] == b.lb["vip_address"]
    assert b.listener["id"] in str(shown["listeners"])
    cases: list[tuple[list[str], list[str], dict[str, Any]]] = [
        (["listener", "list"], ["listener", "show", "l1"], b.listener),
        (["pool", "list"], ["pool", "show", "p1"], b.pool),
        (["member", "list", "p1"], ["member", "show", "p1", "m1"], b.members[0]),
        (["healthmonitor", "list"], ["healthmonitor", "show", "hm-http"], b.monitor),
        (["l7policy", "list"], ["l7policy", "show", "pol1"], b.policy),
        (["l7rule", "list", "pol1"], ["l7rule", "show", "pol1", b.rule["id"]], b.rule),
    ]
    lists = {}
    for list_args, show_args, built in cases:
        listed = lists[list_args[0]] = s.cli_json("loadbalancer", *list_args)
        assert built["id"] in [row["id"] for row in listed], list_args
        one = s.cli_json("loadbalancer", *show_args)
        assert one["id"] == built["id"] and one["provisioning_status"] == "ACTIVE", show_args
    assert sorted(m["weight"] for m in lists["member"]) == [1, 2]


def _check_sets(s: LiviaServer, b: Built) -> None:
    """Each ``set`` exits 0 and the API shows the new value. The CLI's ``--wait`` polls every
    3 s, so only ``member set`` uses it; the others wait on the API (the CLI's ``show`` of
    each resource was checked above)."""
    rule = f"l7policies/{b.policy['id']}/rules/{b.rule['id']}"
    changes: list[tuple[list[str], str, str, Any]] = [
        (["set", "--description", "the walk-through", "lb1"], f"loadbalancers/{b.lb['id']}",
         "description", "the walk-through"),
        (["listener", "set", "--connection-limit", "1000", "l1"],
         f"listeners/{b.listener['id']}", "connection_limit", 1000),
        (["pool", "set", "--description", "web tier", "p1"], f"pools/{b.pool['id']}",
         "description", "web tier"),
        (["healthmonitor", "set", "--delay", "7", "hm-http"],
         f"healthmonitors/{b.monitor['id']}", "delay", 7),
        (["l7policy", "set", "--redirect-url", "http://example.org/", "pol1"],
         f"l7policies/{b.policy['id']}", "redirect_url", "http://example.org/"),
        (["l7rule", "set", "--value", "^/older", "pol1", b.rule["id"]], rule, "value",
         "^/older"),
    ]
    for set_args, path, field, value in changes:
        s.cli_ok("loadbalancer", *set_args)
        s.wait_active(b.lb["id"])
        shown = s.api("GET", f"/v2/lbaas/{path}")
        (one,) = shown.values()
        assert one[field] == value, (set_args, one)
        assert one["provisioning_status"] == "ACTIVE", (set_args, one)
    s.cli_ok("loadbalancer", "member", "set", "--weight", "5", "--wait", "p1", "m1")
    member = s.cli_json("loadbalancer", "member", "show", "p1", "m1")
    assert (member["weight"], member["provisioning_status"]) == (5, "ACTIVE"), member


def _check_amphorae(s: LiviaServer, b: Built) -> None:
    amphorae = s.cli_json("loadbalancer", "amphora", "list", "--loadbalancer", b.lb["id"])
    allocated = [a for a in amphorae if a["status"] == "ALLOCATED"]
    assert sorted(a["role"] for a in allocated) == ["BACKUP", "MASTER"]
    assert {a["ha_ip"] for a in allocated} == {b.lb["vip_address"]}


def test_walkthrough(livia: LiviaServer) -> None:
    built = _build(livia)
    _check_status_tree(livia, built)
    _check_lists_and_shows(livia, built)
    _check_sets(livia, built)
    _check_amphorae(livia, built)
    livia.cli_ok("loadbalancer", "delete", "--cascade", "--wait", "lb1")
    assert livia.cli_json("loadbalancer", "list") == []
    assert livia.cli_json("loadbalancer", "listener", "list") == []
    assert livia.cli_json("loadbalancer", "pool", "list") == []
    amphorae = livia.cli_json("loadbalancer", "amphora", "list")
    assert [a for a in amphorae if a["loadbalancer_id"] == built.lb["id"]
            and a["status"] != "DELETED"] == []


def test_vip_network_and_project(livia: LiviaServer) -> None:
    """``--vip-network-id`` picks the network's subnet; ``--project`` is taken as given
    (the CLI's Keystone look-up of the project is refused with a 403)."""
    net = livia.cli_json("network", "create", "net-by-id")
    sub = livia.cli_json("subnet", "create", "--network", net["id"], "--subnet-range",
                         "10.44.0.0/24", "net-by-id-subnet")
    lb = livia.cli_json("loadbalancer", "create", "--name", "lb-net", "--vip-network-id",
                        net["id"], "--project", "tenant-x", "--wait")
    assert lb["vip_network_id"] == net["id"] and lb["vip_subnet_id"] == sub["id"]
    assert lb["project_id"] == "tenant-x" and lb["provisioning_status"] == "ACTIVE"
    listed = livia.cli_json("loadbalancer", "list", "--project", "tenant-x")
    assert [x["id"] for x in listed] == [lb["id"]]
    livia.cli_ok("loadbalancer", "delete", "--wait", lb["id"])
    assert lb["id"] not in [x["id"] for x in livia.cli_json("loadbalancer", "list")]


def test_bad_input_exits_nonzero_with_the_faultstring(livia: LiviaServer) -> None:
    _, subnet = livia.network("bad-input-net", "10.45.0.0/24")
    lb = livia.cli_json("loadbalancer", "create", "--name", "lb-bad", "--vip-subnet-id",
                        subnet, "--wait")
    livia.cli_ok("loadbalancer", "listener", "create", "--name", "l80", "--protocol", "HTTP",
                 "--protocol-port", "80", "--wait", lb["id"])

    out_of_range = livia.cli("loadbalancer", "listener", "create", "--protocol", "HTTP",
                             "--protocol-port", "70000", lb["id"])
    assert out_of_range.returncode != 0
    assert "70000" in out_of_range.stderr

    body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}}
    answer = livia.http.post("/v2.0/lbaas/listeners", json=body)
    assert answer.status_code == 409
    fault = answer.json()["faultstring"]
    duplicate = livia.cli("loadbalancer", "listener", "create", "--protocol", "HTTP",
                          "--protocol-port", "80", lb["id"])
    assert duplicate.returncode != 0
    assert fault in duplicate.stderr

    missing = livia.cli("loadbalancer", "show", "no-such-lb")
    assert missing.returncode != 0 and "no-such-lb" in missing.stderr
    livia.cli_ok("loadbalancer", "delete", "--cascade", "--wait", lb["id"])
