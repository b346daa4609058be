"""Change latency: member add / weight update / delete, listener create / delete.

For each change, the time from the API call to (a) the load balancer ACTIVE again
(polled every 5 ms) and (b) the change being in effect in the HAProxy that holds
the VIP, read from its stats socket (``show servers state`` for members,
``show stat`` for listeners). One load balancer, ``--cycles`` rounds of the five
changes (each round adds a member, re-weights it, deletes it, adds a listener and
deletes it, so the configuration stays the same size).

    python -m bench.changes [--cycles 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.lab import LBAAS, Lab, full_lb_body, haproxy_command, livia_lab
from bench.report import Results, ms, summary
from livia.domain.amphorae import AmphoraPaths

NET = "10.72.0.0/22"
BACKENDS = ("10.72.0.11", "10.72.0.12")
VIP = "10.72.1.10"
POLL = 0.005


class Target:
    """The load balancer under change and the stats socket of its MASTER's HAProxy."""

    def __init__(self, lab: Lab, lb_id: str) -> None:
        self.lab = lab
        self.lb_id = lb_id
        holder = lab.wait_vip_holder(lb_id, VIP)
        self.socket = AmphoraPaths(lab.amphora_dir(holder["id"])).haproxy_stats_socket

    def active(self) -> bool:
        response = self.lab.host.http.get(f"{LBAAS}/loadbalancers/{self.lb_id}")
        status = response.json()["loadbalancer"]["provisioning_status"]
        if status == "ERROR":
            raise RuntimeError(f"load balancer went to ERROR\n{self.lab.host.log_tail()}")
        return bool(status == "ACTIVE")

    def ask(self, command: str) -> str:
        try:
            return haproxy_command(self.socket, command)
        except OSError:
            return ""  # between two workers during a reload

    def timed(self, change: Callable[[], Any], command: str,
              effective: Callable[[Any, str], bool], timeout: float = 30.0
              ) -> tuple[Any, float, float]:
        """(the change's result, seconds to ACTIVE, seconds until ``effective`` holds)."""
        t0 = time.monotonic()
        result = change()
        active_at = effective_at = None
        while time.monotonic() - t0 < timeout:
            if active_at is None and self.active():
                active_at = time.monotonic() - t0
            if effective_at is None and effective(result, self.ask(command)):
                effective_at = time.monotonic() - t0
            if active_at is not None and effective_at is not None:
                return result, active_at, effective_at
            time.sleep(POLL)
        raise RuntimeError(f"change not done in {timeout} s (ACTIVE {active_at}, "
                           f"effective {effective_at})")


def servers(state: str) -> dict[str, int]:
    """server name -> user weight, from ``show servers state`` (empty if unreadable)."""
    found = {}
    for line in state.splitlines():
        fields = line.split()
        if len(fields) > 7 and fields[0].isdigit():
            found[fields[3]] = int(fields[7])
    return found


def frontends(stat: str) -> set[str]:
    return {line.split(",")[0] for line in stat.splitlines() if ",FRONTEND," in line}


STATE, STAT = "show servers state", "show stat"


def cycle(target: Target, pool_id: str, index: int) -> dict[str, tuple[float, float]]:
    """One round of the five changes: {change: (seconds to ACTIVE, seconds to effective)}."""
    lab, out = target.lab, {}
    body = {"member": {"address": f"10.72.2.{10 + index % 200}", "protocol_port": 80}}
    member, *out["member add"] = target.timed(
        lambda: lab.call("POST", f"{LBAAS}/pools/{pool_id}/members", body)["member"],
        STATE, lambda m, s: m["id"] in servers(s))
    path = f"{LBAAS}/pools/{pool_id}/members/{member['id']}"
    _, *out["member update (weight)"] = target.timed(
        lambda: lab.call("PUT", path, {"member": {"weight": 7}}),
        STATE, lambda _, s: servers(s).get(member["id"]) == 7)
    _, *out["member delete"] = target.timed(
        lambda: lab.call("DELETE", path),
        STATE, lambda _, s: bool(s) and member["id"] not in servers(s))
    body = {"listener": {"loadbalancer_id": target.lb_id, "protocol": "HTTP",
                         "protocol_port": 8000 + index % 1000}}
    listener, *out["listener create"] = target.timed(
        lambda: lab.call("POST", f"{LBAAS}/listeners", body)["listener"],
        STAT, lambda li, s: li["id"] in frontends(s))
    _, *out["listener delete"] = target.timed(
        lambda: lab.call("DELETE", f"{LBAAS}/listeners/{listener['id']}"),
        STAT, lambda _, s: bool(s) and listener["id"] not in frontends(s))
    return {k: (v[0], v[1]) for k, v in out.items()}


def run(cycles: int) -> Results:
    results = Results("changes")
    samples: dict[str, list[tuple[float, float]]] = {}
    with livia_lab() as lab:
        net, subnet = lab.network("lvtbn-net", NET)
        for i, ip in enumerate(BACKENDS):
            lab.nginx(f"lvtbn-web{i}", net, ip)
        lb = lab.call("POST", f"{LBAAS}/loadbalancers",
                      full_lb_body(subnet, "lvtbn-lb", BACKENDS, vip=VIP))["loadbalancer"]
        lab.wait_active(lb["id"])
        pool_id = lb["pools"][0]["id"]
        target = Target(lab, lb["id"])
        for index in range(cycles):
            for name, timing in cycle(target, pool_id, index).items():
                samples.setdefault(name, []).append(timing)
            if (index + 1) % 10 == 0:
                print(f"  {index + 1}/{cycles} rounds", flush=True)
    rows = []
    for name, timings in samples.items():
        active, effective = summary([t[0] for t in timings]), summary([t[1] for t in timings])
        results.figures[name] = {"active": active, "effective": effective}
        rows.append([name, active["count"], ms(active["p50"]), ms(active["p95"]),
                     ms(effective["p50"]), ms(effective["p95"])])
    results.add_table(f"Change latency ({cycles} of each; ms from the API call)",
                      ["change", "n", "ACTIVE p50", "ACTIVE p95", "in HAProxy p50",
                       "in HAProxy p95"], rows)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=50)
    args = parser.parse_args(argv)
    run(args.cycles).write()


if __name__ == "__main__":
    main()
