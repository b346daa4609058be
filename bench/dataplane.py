"""Data plane: wrk through Livia's VIP vs the nginx backend directly vs Octavia's own haproxy.cfg.

Setup: two nginx backends (one worker each), a client instance, one ACTIVE_STANDBY
load balancer (listener HTTP:80 with connection_limit 5000, ROUND_ROBIN pool of
both backends, HTTP monitor). Octavia's haproxy.cfg for the same load balancer
(same listener, pool, members, monitor and connection limit; ids from Livia's API)
is rendered by the ``octavia`` package's own templater in a separate virtualenv
(bench/.octavia-venv, made on first use) and run by the same /usr/sbin/haproxy in
the same data namespace of the amphora that holds the VIP, bound to the same VIP
on port 81 (the security group gets a rule for it). So both proxies share the
namespace, addresses, interfaces, nftables and backends; only the configuration
differs. Octavia's ``peers`` section is dropped by HAProxy (started without
``-L``; ROUND_ROBIN keeps no stick table) and its logs go to the absent rsyslog
socket, as they would be dropped on an amphora without a log receiver.

wrk runs with one thread pinned to CPU 1 (taskset): 32 connections with
keep-alive and with ``Connection: close`` (throughput), and one keep-alive
connection (the latency the proxy adds, without queueing); the targets
alternate, ``--rounds`` times each, and the table shows the mean of the rounds.

    python -m bench.dataplane [--seconds 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import probes, wrk
from bench.lab import LBAAS, Lab, full_lb_body, livia_lab
from bench.report import Results

HERE = Path(__file__).resolve().parent
VENV = HERE / ".octavia-venv"
NET = "10.75.0.0/22"
BACKENDS = ("10.75.0.11", "10.75.0.12")
CLIENT = "10.75.0.5"
VIP = "10.75.1.10"
OCTAVIA_PORT = 81
LIMIT = 5000
# (case, wrk connections, Connection: close). The first two saturate the two cores
# (requests/s); at that load a request's latency is mostly time queued behind others.
# The third, one connection sending its next request when the answer is in, measures
# what the proxy hop itself adds to a request's latency.
CASES = (("keep-alive", 32, False), ("new connection per request", 32, True),
         ("one connection (latency)", 1, False))


def octavia_python() -> Path:
    """The benchmark-only virtualenv with the ``octavia`` package (made on first use)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print("  installing the octavia package into bench/.octavia-venv ...", flush=True)
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "octavia"], check=True,
                       timeout=900)
    return python


def octavia_version(python: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('octavia'))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def octavia_doc(lab: Lab, lb: dict[str, Any], base: Path) -> dict[str, Any]:
    """The JSON octavia_render.py reads: Livia's load balancer, as Octavia's objects."""
    pool = lab.call("GET", f"{LBAAS}/pools/{lb['pools'][0]['id']}")["pool"]
    members = lab.call("GET", f"{LBAAS}/pools/{pool['id']}/members")["members"]
    monitor = lab.call("GET", f"{LBAAS}/healthmonitors/{pool['healthmonitor_id']}")[
        "healthmonitor"]
    return {
        "lb_id": lb["id"], "project_id": lb["project_id"], "vip": VIP,
        "base_path": str(base), "haproxy_version": "2.6",
        "amphorae": [{"id": a["id"], "role": a["role"], "vrrp_ip": a["vrrp_ip"],
                      "priority": a["vrrp_priority"]} for a in lab.allocated(lb["id"])],
        "listener": {"id": lb["listeners"][0]["id"], "port": OCTAVIA_PORT,
                     "connection_limit": LIMIT},
        "pool": {"id": pool["id"], "members": [
            {"id": m["id"], "address": m["address"], "port": m["protocol_port"],
             "weight": m["weight"]} for m in members],
            "monitor": {k: monitor[k] for k in ("id", "type", "delay", "timeout",
                                                "max_retries", "http_method", "url_path",
                                                "expected_codes")}},
    }


def start_octavia(lab: Lab, lb: dict[str, Any], python: Path) -> subprocess.Popen[bytes]:
    """Octavia's haproxy.cfg for ``lb`` running in the VIP holder's data namespace."""
    base = lab.base / "octavia"
    (base / lb["id"]).mkdir(parents=True, mode=0o755)
    (base / lb["id"] / "servers-state").write_text("1\n")
    rendered = subprocess.run([str(python), str(HERE / "octavia_render.py")],
                              input=json.dumps(octavia_doc(lab, lb, base)),
                              capture_output=True, text=True, check=True, timeout=120)
    config = base / "haproxy.cfg"
    config.write_text(rendered.stdout)
    user_group = base / "haproxy-default-user-group.conf"
    user_group.write_text("global\n    group nogroup\n")
    holder = lab.wait_vip_holder(lb["id"], VIP)
    argv = ["haproxy", "-Ws", "-f", str(config), "-f", str(user_group),
            "-p", str(base / "haproxy.pid")]
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{lab.data_netns(holder['id'])}",
                             *argv], stdout=subprocess.DEVNULL,
                            stderr=open(base / "haproxy.log", "wb"))  # noqa: SIM115
    lab.host.wait_tcp("lvtbn-cli", VIP, OCTAVIA_PORT)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


Runs = dict[str, dict[str, list[dict[str, Any]]]]  # case -> target -> figures per round


def measure(lab: Lab, targets: dict[str, str], cases: Sequence[tuple[str, int, bool]],
            seconds: float, rounds: int) -> Runs:
    """wrk against each target, for each case; the targets alternate their order
    every round so that none always runs first (or last) on a warming machine."""
    runs: Runs = {}
    for case, connections, close in cases:
        runs[case] = {name: [] for name in targets}
        for index in range(rounds):
            order = list(targets) if index % 2 == 0 else list(reversed(targets))
            for name in order:
                figures = wrk.run(lab, "lvtbn-cli", targets[name], seconds=seconds,
                                  connections=connections, close=close)
                print(f"  {case}, {name}: {figures['rps']:.0f} req/s, p50 "
                      f"{figures['p50_ms']:.3f} ms, p99 {figures['p99_ms']:.3f} ms, "
                      f"errors {figures['errors']}", flush=True)
                runs[case][name].append(figures)
                time.sleep(1.0)
    return runs


def means(by_target: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """target -> the mean over the rounds of each figure."""
    return {name: {k: statistics.fmean(r[k] for r in rs)
                   for k in ("rps", "p50_ms", "p99_ms", "errors")}
            for name, rs in by_target.items()}


def tabulate(results: Results, runs: Runs) -> None:
    for case, by_target in runs.items():
        mean = means(by_target)
        direct, livia, octavia = (mean[n] for n in by_target)
        ratios = {"livia_over_octavia_rps": livia["rps"] / octavia["rps"],
                  "livia_over_direct_rps": livia["rps"] / direct["rps"],
                  "octavia_over_direct_rps": octavia["rps"] / direct["rps"],
                  "livia_added_p50_ms": livia["p50_ms"] - direct["p50_ms"],
                  "octavia_added_p50_ms": octavia["p50_ms"] - direct["p50_ms"]}
        # Each round measures the three targets back to back: the spread of the per-round
        # ratio says how far the mean ratio can be trusted on this machine.
        per_round = [lv["rps"] / oc["rps"]
                     for lv, oc in zip(by_target["Livia"], by_target["Octavia's config"],
                                       strict=True)]
        ratios["livia_over_octavia_rps_min"] = min(per_round)
        ratios["livia_over_octavia_rps_max"] = max(per_round)
        results.figures[case] = {"mean": mean, "ratios": ratios, "runs": by_target}
        rows = [[name, round(m["rps"]), round(m["p50_ms"], 3), round(m["p99_ms"], 3),
                 round(m["rps"] / direct["rps"], 2), round(m["errors"])]
                for name, m in mean.items()]
        connections = next(c for name, c, _ in CASES if name == case)
        results.add_table(f"Data plane, {case} (wrk -t1 -c{connections}, mean of rounds)",
                          ["target", "req/s", "p50 ms", "p99 ms", "vs direct", "errors"],
                          rows)
        print(f"  Livia / Octavia's config: {ratios['livia_over_octavia_rps']:.2f}x req/s "
              f"(rounds {min(per_round):.2f}-{max(per_round):.2f}x); "
              f"added p50 over direct: Livia {ratios['livia_added_p50_ms']:.3f} ms, "
              f"Octavia {ratios['octavia_added_p50_ms']:.3f} ms", flush=True)


def serving(lab: Lab) -> dict[str, Any]:
    """Two nginx backends, the client and the load balancer, answering through its VIP."""
    net, subnet = lab.network("lvtbn-net", NET)
    for i, ip in enumerate(BACKENDS):
        lab.nginx(f"lvtbn-web{i}", net, ip)
    lab.client("lvtbn-cli", net, CLIENT)
    subprocess.run(lab.in_ns("lvtbn-cli", ["sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1"]),
                   check=True)
    body = full_lb_body(subnet, "lvtbn-lb", BACKENDS, vip=VIP, connection_limit=LIMIT)
    lb: dict[str, Any] = lab.call("POST", f"{LBAAS}/loadbalancers", body)["loadbalancer"]
    lab.wait_active(lb["id"])
    probes.finish(probes.start(lab, "lvtbn-cli", probes.FIRST_OK,
                               [VIP, "80", "0.01", "20"]), timeout=40)
    return lb


def run(seconds: float, rounds: int) -> Results:
    results = Results("dataplane")
    python = octavia_python()
    results.figures["octavia_package"] = octavia_version(python)
    with livia_lab() as lab:
        lb = serving(lab)
        lab.open_port(lb["id"], OCTAVIA_PORT)
        octavia = start_octavia(lab, lab.lb(lb["id"]), python)
        try:
            time.sleep(1.0)
            targets = {"direct (one nginx)": f"http://{BACKENDS[0]}/",
                       "Livia": f"http://{VIP}/",
                       "Octavia's config": f"http://{VIP}:{OCTAVIA_PORT}/"}
            tabulate(results, measure(lab, targets, CASES, seconds, rounds))
        finally:
            stop(octavia)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    run(args.seconds, args.rounds).write()


if __name__ == "__main__":
    main()
