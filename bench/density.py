"""Density: memory per ACTIVE_STANDBY load balancer, and provisioning time from 1 to N LBs.

``--count`` full load balancers (listener, pool, two nginx members, HTTP monitor) are
created one after the other on one host; each one's time from POST to ACTIVE is
kept. Then the memory of every load balancer is the sum of the PSS
(``/proc/<pid>/smaps_rollup``) of all processes in its two amphorae's namespaces:
the agents, HAProxy master and worker, keepalived's processes.

    python -m bench.density [--count 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from bench.lab import LBAAS, Lab, full_lb_body, livia_lab, processes_in
from bench.report import Results, ms, summary

NET = "10.74.0.0/20"
BACKENDS = ("10.74.0.11", "10.74.0.12")


def pss_kib(pid: int) -> int:
    """Proportional set size of one process in KiB (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def kind(pid: int) -> str:
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"
    return "agent (python)" if comm.startswith(("python", "livia")) else comm


def memory_of(lab: Lab, lb_id: str) -> dict[str, int]:
    """KiB of PSS per process kind over both amphorae of a load balancer."""
    by_kind: dict[str, int] = {}
    for amp in lab.allocated(lb_id):
        for ns in lab.host.amphora_namespaces(amp["id"]):
            for pid in processes_in(ns):
                name = kind(pid)
                by_kind[name] = by_kind.get(name, 0) + pss_kib(pid)
    return by_kind


def create_all(lab: Lab, subnet: str, count: int) -> tuple[list[str], list[float]]:
    ids, times = [], []
    for index in range(count):
        t0 = time.monotonic()
        body = full_lb_body(subnet, f"lvtbn-lb{index}", BACKENDS)
        lb_id = lab.call("POST", f"{LBAAS}/loadbalancers", body)["loadbalancer"]["id"]
        lab.wait_active(lb_id, timeout=120)
        times.append(time.monotonic() - t0)
        ids.append(lb_id)
        if (index + 1) % 10 == 0:
            print(f"  {index + 1}/{count} ACTIVE (last {ms(times[-1])} ms)", flush=True)
    return ids, times


def run(count: int) -> Results:
    results = Results("density")
    with livia_lab() as lab:
        net, subnet = lab.network("lvtbn-net", NET)
        for i, ip in enumerate(BACKENDS):
            lab.nginx(f"lvtbn-web{i}", net, ip)
        ids, times = create_all(lab, subnet, count)
        time.sleep(2.0)  # let the last agents and HAProxy workers settle
        memories = [memory_of(lab, lb_id) for lb_id in ids]
    totals = [sum(m.values()) / 1024 for m in memories]
    kinds = sorted({k for m in memories for k in m})
    per_kind = {k: sum(m.get(k, 0) for m in memories) / len(memories) / 1024 for k in kinds}
    results.figures.update({"active_seconds": times, "pss_mib_per_lb": summary(totals),
                            "pss_mib_per_kind_mean": per_kind})
    marks = sorted({n for n in (1, 10, 25, 50, count) if n <= count})
    results.add_table(f"Provisioning time as the host fills ({count} LBs, one at a time)",
                      ["LB #", "POST to ACTIVE (ms)"], [[n, ms(times[n - 1])] for n in marks])
    stats = summary(totals)
    results.add_table("Memory per ACTIVE_STANDBY load balancer (PSS, MiB; two amphorae)",
                      ["what", "MiB"],
                      [*([f"mean of which {k}", round(v, 1)] for k, v in per_kind.items()),
                       ["per LB p50", round(stats["p50"], 1)], ["per LB max",
                                                                 round(stats["max"], 1)]])
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args(argv)
    run(args.count).write()


if __name__ == "__main__":
    main()
