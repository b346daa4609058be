"""Provisioning: POST a full ACTIVE_STANDBY load balancer, time ACTIVE and the first request.

One single-call create per load balancer (listener HTTP:80, a pool with two nginx
members, an HTTP monitor). A prober in a client instance starts before the POST and
sends a request to the VIP every 10 ms; the API is polled every 10 ms for ACTIVE.

    python -m bench.provisioning [--count 10]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from bench import probes
from bench.lab import LBAAS, Lab, full_lb_body, livia_lab
from bench.report import Results, ms, summary

NET = "10.71.0.0/22"
BACKENDS = ("10.71.0.11", "10.71.0.12")
CLIENT = "10.71.0.5"


def one(lab: Lab, subnet: str, index: int) -> dict[str, float]:
    vip = f"10.71.1.{10 + index}"
    prober = probes.start(lab, "lvtbn-cli", probes.FIRST_OK, [vip, "80", "0.01", "60"])
    t0 = time.monotonic()
    body = full_lb_body(subnet, f"lvtbn-lb{index}", BACKENDS, vip=vip)
    lb = lab.call("POST", f"{LBAAS}/loadbalancers", body)["loadbalancer"]
    posted = time.monotonic() - t0
    active = lab.wait_active(lb["id"], poll=0.01) + posted
    first = probes.finish(prober, timeout=90)["first_ok"]
    return {"post": posted, "active": active,
            "first_request": (first - t0) if first is not None else float("nan")}


def run(count: int) -> Results:
    results = Results("provisioning")
    with livia_lab() as lab:
        net, subnet = lab.network("lvtbn-net", NET)
        for i, ip in enumerate(BACKENDS):
            lab.nginx(f"lvtbn-web{i}", net, ip)
        lab.client("lvtbn-cli", net, CLIENT)
        samples = []
        for index in range(count):
            sample = one(lab, subnet, index)
            print(f"  lb {index + 1}/{count}: POST {ms(sample['post'])} ms, ACTIVE "
                  f"{ms(sample['active'])} ms, first request {ms(sample['first_request'])} ms",
                  flush=True)
            samples.append(sample)
    rows = []
    for key, label in (("post", "POST answered"), ("active", "ACTIVE"),
                       ("first_request", "first request through the VIP")):
        stats = summary([s[key] for s in samples])
        results.figures[key] = stats
        rows.append([label, stats["count"], ms(stats["p50"]), ms(stats["p95"]),
                     ms(stats["min"]), ms(stats["max"])])
    results.figures["samples"] = samples
    results.add_table(f"Provisioning: full ACTIVE_STANDBY load balancer, {count} LBs "
                      "(ms from the POST)", ["step", "n", "p50", "p95", "min", "max"], rows)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args(argv)
    run(args.count).write()


if __name__ == "__main__":
    main()
