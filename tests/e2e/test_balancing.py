"""Balancing through a real load balancer: weights, SOURCE_IP, LEAST_CONNECTIONS, cookies.

One tenant network (10.71.0.0/24) with web instances and two clients is made once for
the module; each test creates its own load balancer and deletes it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    app_server,
    bodies,
    create_lb,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
)
from livia_host import LiviaHost

W1, W2, SLOW, C1, C2 = "10.71.0.11", "10.71.0.12", "10.71.0.13", "10.71.0.21", "10.71.0.22"
CLIENT, CLIENT2 = "10.71.0.50", "10.71.0.51"


@dataclass(frozen=True)
class Net:
    network_id: str
    subnet_id: str


@pytest.fixture(scope="module")
def net(livia: LiviaHost) -> Net:
    network_id, subnet_id = livia.network("lvt-balancing", "10.71.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("w2", network_id, W2)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    livia.instance("client2", network_id, ["sleep", "infinity"], ip=CLIENT2)
    return Net(network_id, subnet_id)


def test_round_robin_follows_the_weights(livia: LiviaHost, net: Net, lbs: list[str]) -> None:
    lb = create_lb(livia, net.subnet_id, pool_body([member(W1, 1), member(W2, 2)]))
    lbs.append(lb.id)
    answers = probe(livia, "client", lb.vip, count=300)
    seen = bodies(answers)
    assert sum(seen.values()) == 300 and seen["w1"] + seen["w2"] == 300, seen
    share = seen["w1"] / 300
    print(f"weights 1:2 over 300 requests: {dict(seen)}")
    assert abs(share - 1 / 3) <= 0.10, f"weight 1 got {share:.1%} of 300 requests: {seen}"
    assert abs(seen["w2"] / 300 - 2 / 3) <= 0.10, f"weight 2: {seen}"


def test_source_ip_keeps_each_client_on_one_member(livia: LiviaHost, net: Net,
                                                   lbs: list[str]) -> None:
    lb = create_lb(livia, net.subnet_id, pool_body([member(W1), member(W2)], "SOURCE_IP"))
    lbs.append(lb.id)
    for client in ("client", "client2"):
        seen = bodies(probe(livia, client, lb.vip, count=50))
        print(f"SOURCE_IP, {client}: {dict(seen)}")
        assert len(seen) == 1 and sum(seen.values()) == 50, f"{client}: {seen}"
        assert set(seen) <= {"w1", "w2"}, f"{client}: {seen}"


# Runs in the client namespace: `threads` workers each sending requests one after the
# other (a new connection each) until `seconds` have passed; bounded in time.
CONCURRENT = r"""
import json, sys, threading, time, urllib.request
url, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
seen, lock = {}, threading.Lock()
def work():
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = r.read().decode().strip()
        except Exception as exc:
            body = "<error>"
        with lock:
            seen[body] = seen.get(body, 0) + 1
workers = [threading.Thread(target=work) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps(seen))
"""


def test_least_connections_sends_less_to_a_slow_member(livia: LiviaHost, net: Net,
                                                       lbs: list[str]) -> None:
    app_server(livia, "slow", net.network_id, SLOW, delay=0.5)
    lb = create_lb(livia, net.subnet_id,
                   pool_body([member(W1), member(SLOW)], "LEAST_CONNECTIONS"))
    lbs.append(lb.id)
    done = livia.run_in("client", [sys.executable, "-c", CONCURRENT, f"http://{lb.vip}/", "8", "3"],
                        timeout=30)
    assert done.returncode == 0, done.stderr
    seen: dict[str, int] = json.loads(done.stdout)
    total = sum(seen.values())
    print(f"LEAST_CONNECTIONS, 8 workers for 3 s, slow member 0.5 s: {seen}")
    assert "<error>" not in seen, seen
    assert seen.get("slow", 0) >= 1 and seen.get("w1", 0) >= 1, f"both must serve: {seen}"
    # Round robin would give the slow member half of the requests.
    assert seen["slow"] / total < 0.2, f"slow member got {seen['slow']} of {total}: {seen}"


def test_http_cookie_keeps_a_client_on_its_member(livia: LiviaHost, net: Net,
                                                  lbs: list[str]) -> None:
    lb = create_lb(livia, net.subnet_id, pool_body(
        [member(W1), member(W2)], session_persistence={"type": "HTTP_COOKIE"}))
    lbs.append(lb.id)
    with_cookie = probe(livia, "client", lb.vip, count=30, cookies=True)
    first = with_cookie[0]
    assert first.get("set_cookie"), f"no cookie set by the first response: {first}"
    seen = bodies(with_cookie)
    assert len(seen) == 1 and sum(seen.values()) == 30, f"with the cookie: {seen}"
    without = bodies(probe(livia, "client", lb.vip, count=30))
    print(f"HTTP_COOKIE: with the cookie {dict(seen)}, without {dict(without)}")
    assert set(without) == {"w1", "w2"}, f"without cookies both members serve: {without}"


def test_app_cookie_keeps_a_client_on_its_member(livia: LiviaHost, net: Net,
                                                 lbs: list[str]) -> None:
    app_server(livia, "c1", net.network_id, C1, cookie="SESSIONID")
    app_server(livia, "c2", net.network_id, C2, cookie="SESSIONID")
    lb = create_lb(livia, net.subnet_id, pool_body(
        [member(C1), member(C2)],
        session_persistence={"type": "APP_COOKIE", "cookie_name": "SESSIONID"}))
    lbs.append(lb.id)
    with_cookie = probe(livia, "client", lb.vip, count=30, cookies=True)
    seen = bodies(with_cookie)
    assert len(seen) == 1 and sum(seen.values()) == 30, f"with the cookie: {seen}"
    without = bodies(probe(livia, "client", lb.vip, count=30))
    print(f"APP_COOKIE: with the cookie {dict(seen)}, without {dict(without)}")
    assert set(without) == {"c1", "c2"}, f"without cookies both members serve: {without}"

