"""Failover: the traffic gap when the MASTER amphora dies, and the time to redundancy.

A client instance sends a request to the VIP every 10 ms (a new connection each,
0.25 s timeouts). Every process of the amphora holding the VIP is killed with
SIGKILL, as a host crash would. Measured from the kill: the gap (last success
before the kill to the first success after it; the table shows the longest gap
between two successes from then to the end of the round, which also covers any
pause while the replacement amphora joins) and the time until the load balancer
is ACTIVE again with two ALLOCATED amphorae, neither of them the dead one. Run
once with Livia's default heartbeat timeout (5 s) and once with
``--heartbeat-timeout 2``.

    python -m bench.failover [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import probes
from bench.lab import LBAAS, Lab, full_lb_body, livia_lab
from bench.report import Results, ms, summary

NET = "10.73.0.0/22"
BACKENDS = ("10.73.0.11", "10.73.0.12")
CLIENT = "10.73.0.5"
VIP = "10.73.1.10"
VARIANTS = (("default heartbeat timeout (5 s)", ()),
            ("--heartbeat-timeout 2", ("--heartbeat-timeout", "2")))


def redundant(lab: Lab, lb_id: str, dead: str) -> bool:
    if lab.lb(lb_id)["provisioning_status"] != "ACTIVE":
        return False
    allocated = [a["id"] for a in lab.allocated(lb_id)]
    return len(allocated) == 2 and dead not in allocated


def one_round(lab: Lab, lb_id: str, stop: Path, timeout: float = 60.0) -> dict[str, Any]:
    stop.unlink(missing_ok=True)
    ticks = probes.start(lab, "lvtbn-cli", probes.TICKS,
                         [VIP, "80", "0.01", str(timeout + 10), str(stop)])
    time.sleep(1.0)
    dead = lab.wait_vip_holder(lb_id, VIP)["id"]
    killed = time.monotonic()
    lab.host.kill_amphora(dead)
    restored = None
    while time.monotonic() - killed < timeout:
        if redundant(lab, lb_id, dead):
            restored = time.monotonic() - killed
            break
        time.sleep(0.05)
    time.sleep(1.0)
    stop.touch()
    seen = probes.finish(ticks, timeout=30)
    return {"redundancy": restored if restored is not None else float("nan"),
            **gaps(seen["ok"], len(seen["failed"]), killed)}


def gaps(ok: list[float], failed: int, killed: float) -> dict[str, float]:
    before = [t for t in ok if t <= killed]
    after = [t for t in ok if t > killed]
    if not before or not after:
        return {"gap": float("nan"), "longest_gap": float("nan"), "failed": failed}
    series = [before[-1], *after]
    longest = max(b - a for a, b in itertools.pairwise(series))
    return {"gap": after[0] - before[-1], "longest_gap": longest, "failed": failed}


def variant(extra: Sequence[str], rounds: int) -> list[dict[str, Any]]:
    samples = []
    with livia_lab(extra) as lab:
        net, subnet = lab.network("lvtbn-net", NET)
        for i, ip in enumerate(BACKENDS):
            lab.nginx(f"lvtbn-web{i}", net, ip)
        lab.client("lvtbn-cli", net, CLIENT)
        lb = lab.call("POST", f"{LBAAS}/loadbalancers",
                      full_lb_body(subnet, "lvtbn-lb", BACKENDS, vip=VIP))["loadbalancer"]
        lab.wait_active(lb["id"])
        first = probes.finish(probes.start(lab, "lvtbn-cli", probes.FIRST_OK,
                                           [VIP, "80", "0.01", "20"]), timeout=40)
        if first["first_ok"] is None:
            raise RuntimeError("the VIP never answered")
        for index in range(rounds):
            sample = one_round(lab, lb["id"], lab.base / "lvtbn-stop")
            print(f"  round {index + 1}/{rounds}: gap {ms(sample['gap'])} ms, longest "
                  f"{ms(sample['longest_gap'])} ms, redundancy "
                  f"{ms(sample['redundancy'])} ms", flush=True)
            samples.append(sample)
    return samples


def run(rounds: int) -> Results:
    results = Results("failover")
    rows = []
    for label, extra in VARIANTS:
        print(f"{label}:", flush=True)
        samples = variant(extra, rounds)
        figures = {key: summary([s[key] for s in samples])
                   for key in ("gap", "longest_gap", "redundancy")}
        results.figures[label] = {**figures, "samples": samples}
        rows.append([label, len(samples), ms(figures["longest_gap"]["p50"]),
                     ms(figures["longest_gap"]["max"]),
                     ms(figures["redundancy"]["p50"]), ms(figures["redundancy"]["max"])])
    results.add_table("Failover: MASTER amphora killed (ms from the kill)",
                      ["run", "rounds", "traffic gap p50", "traffic gap max",
                       "redundancy p50", "redundancy max"], rows)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    run(args.rounds).write()


if __name__ == "__main__":
    main()
