"""A flavor on real amphorae: SINGLE topology and HAProxy worker threads.

A SINGLE flavor with ``haproxy_threads`` 2 gives one amphora (no keepalived:
it holds the VIP itself) that balances through the VIP, and the threads are
in the haproxy.cfg on disk and in the running HAProxy (``show info``).
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from dataplane import (  # noqa: F401 (fixtures)
    bodies,
    haproxy_cfg,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
    wait_for,
)
from livia_host import LiviaHost

W1, W2, CLIENT = "10.77.0.11", "10.77.0.12", "10.77.0.50"


def _ask(sock: Path, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(str(sock))
        s.sendall(command.encode() + b"\n")
        return b"".join(iter(lambda: s.recv(65536), b"")).decode()


def _flavor(livia: LiviaHost, data: dict[str, object]) -> tuple[str, str]:
    profile = livia.call("POST", "/v2/lbaas/flavorprofiles", {"flavorprofile": {
        "name": "e2e", "provider_name": "amphora",
        "flavor_data": json.dumps(data)}})["flavorprofile"]["id"]
    flavor = livia.call("POST", "/v2/lbaas/flavors", {"flavor": {
        "name": "e2e-single", "flavor_profile_id": profile}})["flavor"]["id"]
    return profile, flavor


def test_single_flavor_with_threads(livia: LiviaHost, lbs: list[str]) -> None:
    network_id, subnet_id = livia.network("lvt-flavors", "10.77.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("w2", network_id, W2)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    profile, flavor = _flavor(livia, {"loadbalancer_topology": "SINGLE",
                                      "haproxy_threads": 2,
                                      "max_listener_connections": 300})
    created = livia.call("POST", "/v2/lbaas/loadbalancers", {"loadbalancer": {
        "name": "lvt-flavored", "vip_subnet_id": subnet_id, "flavor_id": flavor,
        "listeners": [{"protocol": "HTTP", "protocol_port": 80,
                       "default_pool": pool_body([member(W1), member(W2)])}]}})["loadbalancer"]
    lbs.append(created["id"])
    lb = livia.wait_lb(created["id"], timeout=60)
    assert lb["flavor_id"] == flavor

    amps = livia.amphorae(lb["id"])
    assert [(a["role"], a["status"]) for a in amps] == [("STANDALONE", "ALLOCATED")], amps
    seen = bodies(probe(livia, "client", lb["vip_address"], count=20))
    assert sum(seen.values()) == 20 and set(seen) == {"w1", "w2"}, seen

    amp_id = amps[0]["id"]
    cfg = haproxy_cfg(livia, amp_id)
    assert "\n    nbthread 2\n" in cfg
    assert re.search(r"^    maxconn 300$", cfg, re.M), cfg
    sock = Path(livia.state_dir) / "amphorae" / amp_id / "haproxy" / "stats.sock"
    info, _ = wait_for("HAProxy's show info", lambda: _ask(sock, "show info"), 10)
    assert re.search(r"^Nbthread: 2$", info, re.M), info
    print(f"one amphora {amp_id}, {dict(seen)}, Nbthread 2 in show info")

    refused = livia.http.delete(f"/v2/lbaas/flavors/{flavor}")
    assert refused.status_code == 409, refused.text
    livia.call("DELETE", f"/v2/lbaas/loadbalancers/{lb['id']}?cascade=true")
    lbs.remove(lb["id"])

    def gone() -> bool:
        r = livia.http.get(f"/v2/lbaas/loadbalancers/{lb['id']}")
        return r.status_code == 404 or r.json()["loadbalancer"]["provisioning_status"] == "DELETED"

    wait_for("the load balancer deleted", gone, 30)
    livia.call("DELETE", f"/v2/lbaas/flavors/{flavor}")
    livia.call("DELETE", f"/v2/lbaas/flavorprofiles/{profile}")
