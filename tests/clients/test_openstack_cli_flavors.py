"""Flavors and availability zones with the real ``openstack`` CLI against ``livia serve``.

The operator's path: profiles, a flavor and a zone (created, listed, shown),
the provider's capabilities, a load balancer made with ``--flavor`` and
``--availability-zone``, then everything deleted again (in-use deletes fail
first).
"""

from __future__ import annotations

import json
import socket

from livia_server import LiviaServer


def test_flavor_and_zone_walkthrough(livia: LiviaServer) -> None:
    s = livia
    data = {"loadbalancer_topology": "SINGLE", "haproxy_threads": 2}
    fp = s.cli_json("loadbalancer", "flavorprofile", "create", "--name", "fp-single",
                    "--provider", "amphora", "--flavor-data", json.dumps(data))
    assert fp["name"] == "fp-single" and json.loads(fp["flavor_data"]) == data
    assert [p["id"] for p in s.cli_json("loadbalancer", "flavorprofile", "list")] == [fp["id"]]
    assert s.cli_json("loadbalancer", "flavorprofile", "show", "fp-single")["id"] == fp["id"]

    flavor = s.cli_json("loadbalancer", "flavor", "create", "--name", "single",
                        "--flavorprofile", "fp-single", "--description", "one amphora",
                        "--enable")
    assert flavor["flavor_profile_id"] == fp["id"] and flavor["enabled"] is True
    assert [f["name"] for f in s.cli_json("loadbalancer", "flavor", "list")] == ["single"]
    assert s.cli_json("loadbalancer", "flavor", "show", "single")["id"] == flavor["id"]

    host = socket.gethostname()
    azp = s.cli_json("loadbalancer", "availabilityzoneprofile", "create", "--name", "azp-here",
                     "--provider", "amphora", "--availability-zone-data",
                     json.dumps({"hosts": [host]}))
    assert json.loads(azp["availability_zone_data"]) == {"hosts": [host]}
    listed = s.cli_json("loadbalancer", "availabilityzoneprofile", "list")
    assert [p["id"] for p in listed] == [azp["id"]]
    assert s.cli_json("loadbalancer", "availabilityzoneprofile", "show",
                      "azp-here")["id"] == azp["id"]
    az = s.cli_json("loadbalancer", "availabilityzone", "create", "--name", "here",
                    "--availabilityzoneprofile", "azp-here")
    assert az["name"] == "here" and az["availability_zone_profile_id"] == azp["id"]
    assert [z["name"] for z in s.cli_json("loadbalancer", "availabilityzone", "list")] == [
        "here"]
    assert s.cli_json("loadbalancer", "availabilityzone", "show", "here")["name"] == "here"

    caps = s.cli_json("loadbalancer", "provider", "capability", "list", "amphora")
    names = {c["name"] for c in caps}
    assert {"loadbalancer_topology", "haproxy_threads", "max_listener_connections",
            "hosts", "valid_vip_networks"} <= names

    _, subnet = s.network("flavor-net", "10.46.0.0/24")
    lb = s.cli_json("loadbalancer", "create", "--name", "lb-flavored", "--vip-subnet-id",
                    subnet, "--flavor", "single", "--availability-zone", "here", "--wait")
    assert lb["flavor_id"] == flavor["id"] and lb["availability_zone"] == "here"
    assert lb["provisioning_status"] == "ACTIVE"
    amps = [a for a in s.cli_json("loadbalancer", "amphora", "list")
            if a["loadbalancer_id"] == lb["id"] and a["status"] == "ALLOCATED"]
    assert [a["role"] for a in amps] == ["STANDALONE"]

    refused = s.cli("loadbalancer", "flavor", "delete", "single")
    assert refused.returncode != 0 and "in use" in refused.stderr
    refused = s.cli("loadbalancer", "availabilityzone", "delete", "here")
    assert refused.returncode != 0 and "in use" in refused.stderr
    refused = s.cli("loadbalancer", "flavorprofile", "delete", "fp-single")
    assert refused.returncode != 0 and "in use" in refused.stderr
    bad = s.cli("loadbalancer", "flavorprofile", "create", "--name", "bad", "--provider",
                "amphora", "--flavor-data", json.dumps({"compute_flavor": "m1"}))
    assert bad.returncode != 0 and "does not support a requested option" in bad.stderr

    s.cli_ok("loadbalancer", "delete", "--wait", lb["id"])
    s.cli_ok("loadbalancer", "flavor", "delete", "single")
    s.cli_ok("loadbalancer", "flavorprofile", "delete", "fp-single")
    s.cli_ok("loadbalancer", "availabilityzone", "delete", "here")
    s.cli_ok("loadbalancer", "availabilityzoneprofile", "delete", "azp-here")
    assert s.cli_json("loadbalancer", "flavor", "list") == []
    assert s.cli_json("loadbalancer", "flavorprofile", "list") == []
    assert s.cli_json("loadbalancer", "availabilityzone", "list") == []
    assert s.cli_json("loadbalancer", "availabilityzoneprofile", "list") == []
