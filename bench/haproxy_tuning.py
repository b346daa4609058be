"""HAProxy tuning trials: variants of Livia's own haproxy.cfg, measured side by side in one run.

Sets up the data-plane lab of ``bench.dataplane`` (two nginx backends, a client,
one ACTIVE_STANDBY load balancer), copies the haproxy.cfg that Livia rendered
and runs it on the amphora holding the VIP, once per variant: each variant is
the same file with one change (threads, CPU pinning, buffers, splicing,
logging, ...), bound to the same VIP on its own port (8001, 8002, ...) with
its own stats socket and without the ``peers`` section. Every variant then
runs under the same wrk load, alternating, ``--rounds`` times each, keep-alive
and a new connection per request; the table shows the mean and the ratio to
the unchanged copy ("as rendered"). This is how the template's tuning was
chosen (docs/benchmarks.md, "Improvements: data plane").

    python -m bench.haproxy_tuning [--seconds 5] [--rounds 2] [--only name,name]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.dataplane import CASES, VIP, Runs, means, measure, serving, stop
from bench.lab import Lab, livia_lab
from bench.report import Results

Edit = Callable[[str], str]


def in_section(header: str, lines: str) -> Edit:
    """Add ``lines`` at the top of the first section starting with ``header``."""
    def edit(cfg: str) -> str:
        pattern = re.compile(rf"^{re.escape(header)}.*$", re.M)
        match = pattern.search(cfg)
        if match is None:
            raise ValueError(f"no section {header!r}")
        added = "".join(f"\n    {line}" for line in lines.splitlines())
        return cfg[:match.end()] + added + cfg[match.end():]
    return edit


def drop(line: str) -> Edit:
    def edit(cfg: str) -> str:
        return re.sub(rf"^\s*{re.escape(line)}\n", "", cfg, flags=re.M)
    return edit


def chain(*edits: Edit) -> Edit:
    def edit(cfg: str) -> str:
        for one in edits:
            cfg = one(cfg)
        return cfg
    return edit


NO_SPLICE = chain(drop("option splice-request"), drop("option splice-response"))
VARIANTS: dict[str, Edit] = {
    "as rendered": chain(),
    "nbthread 1": in_section("global", "nbthread 1"),
    "nbthread 1 + cpu 0": in_section("global", "nbthread 1\ncpu-map 1/1 0"),
    "threads pinned": in_section("global", "cpu-map auto:1/1-2 0-1"),
    "no splice": NO_SPLICE,
    "no log": in_section("frontend", "no log"),
    "ring raw": lambda cfg: cfg.replace("format rfc5424", "format raw"),
    "bufsize 8k": in_section("global", "tune.bufsize 8192"),
    "no splice + bufsize 8k": chain(NO_SPLICE, in_section("global", "tune.bufsize 8192")),
    "http-reuse always": in_section("backend", "http-reuse always"),
    "low-latency": in_section("global", "tune.sched.low-latency on"),
}


def variant_config(original: str, port: int, work: Path, edit: Edit) -> str:
    cfg = re.sub(r"\npeers [^\n]*\n(?:    [^\n]*\n)*", "\n", original)
    cfg = re.sub(r"^(\s*bind \S+):80\b", rf"\1:{port}", cfg, flags=re.M)
    cfg = re.sub(r"^(\s*stats socket )\S+", rf"\g<1>{work}/stats.sock", cfg, flags=re.M)
    return edit(cfg)


def start_variants(lab: Lab, lb_id: str, names: Sequence[str]
                   ) -> tuple[dict[str, str], list[subprocess.Popen[bytes]]]:
    holder = lab.wait_vip_holder(lb_id, VIP)
    original = Path(lab.amphora_dir(holder["id"]), "haproxy", "haproxy.cfg").read_text()
    netns = lab.data_netns(holder["id"])
    urls: dict[str, str] = {}
    procs: list[subprocess.Popen[bytes]] = []
    for index, name in enumerate(names, start=1):
        port = 8000 + index
        work = lab.base / f"variant-{index}"
        work.mkdir(mode=0o755)
        config = work / "haproxy.cfg"
        config.write_text(variant_config(original, port, work, VARIANTS[name]))
        lab.open_port(lb_id, port)
        procs.append(subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{netns}", "haproxy", "-Ws", "-f", str(config)],
            stdout=subprocess.DEVNULL, stderr=open(work / "haproxy.log", "wb")))  # noqa: SIM115
        lab.host.wait_tcp("lvtbn-cli", VIP, port)
        urls[name] = f"http://{VIP}:{port}/"
    return urls, procs


def tabulate(results: Results, runs: Runs) -> None:
    for case, by_name in runs.items():
        mean = means(by_name)
        base = mean["as rendered"]
        results.figures[case] = {"mean": mean, "runs": by_name}
        rows = [[name, round(m["rps"]), round(m["p50_ms"], 3), round(m["p99_ms"], 3),
                 round(m["rps"] / base["rps"], 3), round(m["errors"])]
                for name, m in mean.items()]
        results.add_table(f"HAProxy variants, {case} (wrk -t1 -c32, mean of rounds)",
                          ["variant", "req/s", "p50 ms", "p99 ms", "vs as rendered",
                           "errors"], rows)


def run(seconds: float, rounds: int, names: Sequence[str]) -> Results:
    results = Results("haproxy_tuning")
    with livia_lab() as lab:
        lb = serving(lab)
        urls, procs = start_variants(lab, lb["id"], names)
        try:
            time.sleep(1.0)
            tabulate(results, measure(lab, urls, CASES[:2], seconds, rounds))
        finally:
            for proc in procs:
                stop(proc)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="",
                        help="comma-separated variant names (\"as rendered\" is always run)")
    args = parser.parse_args(argv)
    names = list(VARIANTS)
    if args.only:
        names = ["as rendered", *(n for n in args.only.split(",") if n != "as rendered")]
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    run(args.seconds, args.rounds, names).write()


if __name__ == "__main__":
    main()
