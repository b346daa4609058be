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
import contextlib
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


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def role(pid: int, pid_files: dict[int, str]) -> str:
    """What one process of an amphora is: agent, HAProxy master or worker, keepalived's."""
    name = comm(pid)
    if name.startswith(("python", "livia")):
        return "agent (python)"
    if name in ("haproxy", "keepalived"):
        if pid in pid_files:
            return f"{name} {pid_files[pid]}"
        return f"{name} {'worker' if comm(parent(pid)) == name else 'master'}"
    return name


def amphora_pid_files(directory: Path) -> dict[int, str]:
    """keepalived's three pid files: pid -> parent, vrrp or checker."""
    found: dict[int, str] = {}
    for file, what in (("keepalived.pid", "parent"), ("vrrp.pid", "vrrp child"),
                       ("checker.pid", "checker child")):
        with contextlib.suppress(OSError, ValueError):
            found[int((directory / "keepalived" / file).read_text().split()[0])] = what
    return found


def memory_of(lab: Lab, lb_id: str) -> dict[str, int]:
    """KiB of PSS per process role over both amphorae of a load balancer."""
    by_role: dict[str, int] = {}
    for amp in lab.allocated(lb_id):
        pid_files = amphora_pid_files(Path(lab.amphora_dir(amp["id"])))
        for ns in lab.host.amphora_namespaces(amp["id"]):
            for pid in processes_in(ns):
                name = role(pid, pid_files)
                by_role[name] = by_role.get(name, 0) + pss_kib(pid)
    return by_role


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
    per_group = {g: sum(v for k, v in per_kind.items() if k.startswith(g))
                 for g in ("agent", "haproxy", "keepalived")}
    results.figures.update({"active_seconds": times, "pss_mib_per_lb": summary(totals),
                            "pss_mib_per_kind_mean": per_kind,
                            "pss_mib_per_group_mean": per_group})
    marks = sorted({n for n in (1, 10, 25, 50, count) if n <= count})
    results.add_table(f"Provisioning time as the host fills ({count} LBs, one at a time)",
                      ["LB #", "POST to ACTIVE (ms)"], [[n, ms(times[n - 1])] for n in marks])
    stats = summary(totals)
    results.add_table("Memory per ACTIVE_STANDBY load balancer (PSS, MiB; two amphorae)",
                      ["what", "MiB"],
                      [*([f"mean of which {k}", round(v, 1)] for k, v in per_group.items()),
                       *([f"  of which {k}", round(v, 2)] for k, v in per_kind.items()),
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
