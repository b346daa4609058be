"""Hitless changes: failed requests during N member weight updates under load.

A client instance runs 6 keep-alive connections and 2 new-connection-per-request
loops (Python, bounded in time, stopped by a file) against the VIP while the
benchmark sends ``--changes`` member weight updates through the API, each one
waiting for the load balancer to be ACTIVE again (every change re-renders and
reloads HAProxy in both amphorae). Every request that is not answered ``200`` counts
as failed, whatever the reason (reset, timeout, 5xx).

    python -m bench.hitless [--changes 100]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from bench import probes
from bench.lab import LBAAS, full_lb_body, livia_lab
from bench.report import Results, ms, summary

NET = "10.78.0.0/22"
BACKENDS = ("10.78.0.11", "10.78.0.12")
CLIENT = "10.78.0.5"
VIP = "10.78.1.10"


def run(changes: int) -> Results:
    results = Results("hitless")
    with livia_lab() as lab:
        net, subnet = lab.network("lvtbn-net", NET)
        for i, ip in enumerate(BACKENDS):
            lab.nginx(f"lvtbn-web{i}", net, ip)
        lab.client("lvtbn-cli", net, CLIENT)
        lb = lab.call("POST", f"{LBAAS}/loadbalancers",
                      full_lb_body(subnet, "lvtbn-lb", BACKENDS, vip=VIP))["loadbalancer"]
        lab.wait_active(lb["id"])
        probes.finish(probes.start(lab, "lvtbn-cli", probes.FIRST_OK,
                                   [VIP, "80", "0.01", "20"]), timeout=40)
        pool_id = lb["pools"][0]["id"]
        member_id = lab.call("GET", f"{LBAAS}/pools/{pool_id}/members")["members"][0]["id"]
        stop = lab.base / "lvtbn-stop"
        load = probes.start(lab, "lvtbn-cli", probes.LOAD,
                            [VIP, "80", "6", "2", str(20 + changes * 3), str(stop)])
        durations = []
        try:
            time.sleep(1.0)
            for index in range(changes):
                t0 = time.monotonic()
                lab.call("PUT", f"{LBAAS}/pools/{pool_id}/members/{member_id}",
                         {"member": {"weight": 1 + index % 10}})
                lab.wait_active(lb["id"], poll=0.01)
                durations.append(time.monotonic() - t0)
            time.sleep(1.0)
        finally:
            stop.touch()
            seen = probes.finish(load, timeout=60 + changes * 3)
    counts = seen["counts"]
    results.figures.update({"changes": len(durations), "change_seconds": summary(durations),
                            "requests": counts, "errors": seen["errors"],
                            "load_seconds": seen["seconds"]})
    rows = [[kind, counts[f"{kind}_ok"] + counts[f"{kind}_failed"], counts[f"{kind}_failed"]]
            for kind in ("keepalive", "new")]
    results.add_table(f"Hitless: {len(durations)} weight updates under load "
                      f"({seen['seconds']} s; change p50 {ms(summary(durations)['p50'])} ms)",
                      ["client", "requests", "failed"], rows)
    if seen["errors"]:
        print(f"  failures by kind: {seen['errors']}", flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args(argv)
    run(args.changes).write()


if __name__ == "__main__":
    main()
