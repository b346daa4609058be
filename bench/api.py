"""API throughput: create, list and show with 1,000 load balancers, on SQLite and PostgreSQL.

``livia serve --driver fake`` (real API, controller and database; fake compute,
network and amphora drivers, like real Octavia's noop drivers) on loopback.
8 client threads (httpx, one connection each) create ``--count`` bare load
balancers; then, with all of them stored, they list all of them (one page,
``limit=1000``), filter the list by name, and show single ones. PostgreSQL 15 is
a throwaway cluster in a temporary directory, listening on 127.0.0.1 and a unix
socket there only, with ``synchronous_commit=off`` — the same durability as
Livia's SQLite (WAL, ``synchronous=NORMAL``: no fsync per commit).

    python -m bench.api [--count 1000] [--clients 8]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx

from bench.report import Results, ms, summary

LIVIA = str(Path(sys.executable).with_name("livia"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TOKEN = "lvtbn-bench-token"
LBAAS = "/v2/lbaas"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(root: Path, *argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], cwd=root, check=True,
                   capture_output=True, timeout=120)


@contextlib.contextmanager
def postgres(base: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster; yields the database URL; stopped and removed after."""
    root = base / "pg"
    root.mkdir()
    shutil.chown(root, "postgres", "postgres")
    port = free_port()
    as_postgres(root, str(PG_BIN / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--no-instructions")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=100 "
               "-c synchronous_commit=off")
    as_postgres(root, str(PG_BIN / "pg_ctl"), "start", "-D", str(root / "data"), "-w",
                "-l", str(root / "postgres.log"), "-o", options)
    try:
        as_postgres(root, str(PG_BIN / "createdb"), "-h", str(root), "-p", str(port),
                    "-U", "postgres", "lvtbn")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/lvtbn"
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            as_postgres(root, str(PG_BIN / "pg_ctl"), "stop", "-D", str(root / "data"),
                        "-m", "fast", "-w")


@contextlib.contextmanager
def server(base: Path, database_url: str | None) -> Iterator[str]:
    """``livia serve --driver fake`` on a free loopback port; yields its URL."""
    port = free_port()
    argv = [LIVIA, "serve", "--driver", "fake", "--state-dir", str(base / "state"),
            "--name-prefix", "lvtbn", "--port", str(port), "--health-port", str(free_port())]
    if database_url:
        argv += ["--database-url", database_url]
    env = {**os.environ, "LIVIA_ADMIN_TOKEN": TOKEN, "LIVIA_LOG_LEVEL": "WARNING"}
    with open(base / "serve.log", "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-Auth-Token": TOKEN}, timeout=60)


def concurrently(url: str, clients: int, jobs: Sequence[Callable[[httpx.Client], object]]
                 ) -> tuple[list[float], float]:
    """Run ``jobs`` over ``clients`` threads: (latency of each, wall seconds)."""
    sessions = [client(url) for _ in range(clients)]
    latencies: list[float] = []

    def timed(index: int, job: Callable[[httpx.Client], object]) -> float:
        t0 = time.monotonic()
        job(sessions[index % clients])
        return time.monotonic() - t0

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(timed, range(len(jobs)), jobs))
    wall = time.monotonic() - t0
    for s in sessions:
        s.close()
    return latencies, wall


def expect(response: httpx.Response, code: int) -> httpx.Response:
    if response.status_code != code:
        raise RuntimeError(f"{response.request.method} {response.request.url} -> "
                           f"{response.status_code}: {response.text[:300]}")
    return response


def wait_all_active(url: str, count: int, timeout: float) -> float:
    """Seconds until ``count`` load balancers are ACTIVE (nan after ``timeout``).

    Each poll asks for one load balancer still PENDING_CREATE (cheap), not for the
    list of ACTIVE ones: listing hundreds every 0.25 s took the server's event loop
    from the controller whose convergence this measures.
    """
    t0 = time.monotonic()
    with client(url) as c:
        while time.monotonic() - t0 < timeout:
            pending = expect(c.get(f"{LBAAS}/loadbalancers", params={
                "limit": 1, "provisioning_status": "PENDING_CREATE"}), 200).json()
            if not pending["loadbalancers"]:
                done = time.monotonic() - t0
                active = expect(c.get(f"{LBAAS}/loadbalancers", params={
                    "limit": count, "provisioning_status": "ACTIVE"}), 200).json()
                if len(active["loadbalancers"]) < count:
                    raise RuntimeError(f"only {len(active['loadbalancers'])} of {count} "
                                       "load balancers are ACTIVE")
                return done
            time.sleep(0.25)
    return float("nan")


def subnet_for(c: httpx.Client, n: int) -> str:
    net = expect(c.post("/v2.0/networks", json={"network": {"name": f"lvtbn-net{n}"}}), 201)
    subnet = expect(c.post("/v2.0/subnets", json={"subnet": {
        "network_id": net.json()["network"]["id"], "cidr": f"10.{80 + n}.0.0/16",
        "ip_version": 4}}), 201)
    return str(subnet.json()["subnet"]["id"])


def exercise(url: str, count: int, clients: int) -> dict[str, dict[str, float]]:
    # keepalived's router ids allow 255 ACTIVE_STANDBY load balancers per network.
    with client(url) as c:
        subnets = [subnet_for(c, n) for n in range(count // 250 + 1)]
    ids: list[str] = []

    def create(i: int) -> Callable[[httpx.Client], object]:
        body = {"loadbalancer": {"name": f"lvtbn-{i}",
                                 "vip_subnet_id": subnets[i % len(subnets)]}}
        return lambda s: ids.append(expect(s.post(f"{LBAAS}/loadbalancers", json=body),
                                           201).json()["loadbalancer"]["id"])

    out: dict[str, dict[str, float]] = {}
    lat, wall = concurrently(url, clients, [create(i) for i in range(count)])
    out["create (POST)"] = {**summary(lat), "per_s": len(lat) / wall}
    settle = wait_all_active(url, count, timeout=300)
    out["create: all ACTIVE after the last POST"] = {"seconds": settle}

    def listing(s: httpx.Client) -> None:
        found = expect(s.get(f"{LBAAS}/loadbalancers", params={"limit": 1000}), 200)
        if len(found.json()["loadbalancers"]) != min(count, 1000):
            raise RuntimeError("the list is short")

    def by_name(i: int) -> Callable[[httpx.Client], object]:
        return lambda s: expect(s.get(f"{LBAAS}/loadbalancers", params={"name": f"lvtbn-{i}"}),
                                200)

    def show(lb_id: str) -> Callable[[httpx.Client], object]:
        return lambda s: expect(s.get(f"{LBAAS}/loadbalancers/{lb_id}"), 200)

    rng = random.Random(5)
    for name, jobs in (
            (f"list all ({count})", [listing] * 40),
            ("list filtered by name", [by_name(rng.randrange(count)) for _ in range(400)]),
            ("show one", [show(rng.choice(ids)) for _ in range(800)])):
        lat, wall = concurrently(url, clients, jobs)
        out[name] = {**summary(lat), "per_s": len(lat) / wall}
    return out


def run(count: int, clients: int) -> Results:
    results = Results("api")
    rows = []
    for backend in ("SQLite", "PostgreSQL"):
        base = Path(tempfile.mkdtemp(prefix="lvtbn-api-"))
        base.chmod(0o711)
        try:
            with contextlib.ExitStack() as stack:
                db = stack.enter_context(postgres(base)) if backend == "PostgreSQL" else None
                url = stack.enter_context(server(base, db))
                print(f"{backend}: creating {count} load balancers with {clients} clients",
                      flush=True)
                figures = exercise(url, count, clients)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        results.figures[backend] = figures
        for name, f in figures.items():
            if "per_s" in f:
                rows.append([backend, name, round(f["per_s"], 1), ms(f["p50"]), ms(f["p95"])])
            else:
                rows.append([backend, name, "-", f"{f['seconds']:.1f} s", "-"])
    results.add_table(f"API with {count} load balancers stored ({clients} concurrent clients, "
                      "livia serve --driver fake)",
                      ["database", "operation", "requests/s", "p50 ms", "p95 ms"], rows)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    run(args.count, args.clients).write()


if __name__ == "__main__":
    main()
