"""Configuration changes are hitless: HAProxy reloads under traffic drop no request.

One tenant network (10.75.0.0/24) with two web instances and a client. Two bounded
request streams run from the client (one opening a new connection per request, one
keeping its connection alive; 1000 requests each, 60 s at most) while 20 member updates
go through the API, each waited for until the load balancer is ACTIVE again.
"""

from __future__ import annotations

import time

from dataplane import (  # noqa: F401 (fixtures)
    Timed,
    background,
    change,
    create_lb,
    delete_lb,
    finish_timed_loop,
    member,
    nothing_left_behind,
    pool_body,
    record_prefix,
    start_timed_loop,
)
from livia_host import LiviaHost

W1, W2, CLIENT = "10.75.0.11", "10.75.0.12", "10.75.0.50"
UPDATES = 20
PER_STREAM = 1000


def _summary(rows: list[Timed]) -> str:
    failed = [r for r in rows if not r.ok]
    served: dict[str, int] = {}
    for r in rows:
        served[str(r.body)] = served.get(str(r.body), 0) + 1
    return f"{len(rows)} requests, {len(failed)} failed, {served}"


def test_member_updates_under_traffic_drop_nothing(livia: LiviaHost) -> None:
    network_id, subnet_id = livia.network("lvt-hitless", "10.75.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("w2", network_id, W2)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    lb = create_lb(livia, subnet_id, pool_body([member(W1), member(W2)]))
    try:
        _updates_under_traffic(livia, lb.id, lb.vip, lb.pool_id, lb.member_ids[W1])
    finally:
        delete_lb(livia, lb.id)


def _updates_under_traffic(livia: LiviaHost, lb_id: str, vip: str, pool_id: str | None,
                           member_id: str) -> None:
    fresh = start_timed_loop(livia, "client", vip, PER_STREAM, 0.01, 60.0)
    kept = start_timed_loop(livia, "client", vip, PER_STREAM, 0.01, 60.0, keepalive=True)
    with background(fresh), background(kept):
        time.sleep(0.5)
        started = time.monotonic()
        for i in range(UPDATES):
            change(livia, lb_id, "PUT", f"/v2/lbaas/pools/{pool_id}/members/{member_id}",
                   {"member": {"weight": 3 if i % 2 == 0 else 1}})
        ended = time.monotonic()
        rows = {"new connections": finish_timed_loop(fresh, timeout=90),
                "keep-alive": finish_timed_loop(kept, timeout=90)}
    print(f"{UPDATES} member updates in {ended - started:.1f} s; "
          + "; ".join(f"{k}: {_summary(v)}" for k, v in rows.items()))
    for kind, stream in rows.items():
        failed = [(round(r.start - started, 3), r.body) for r in stream if not r.ok]
        assert not failed, f"{kind}: {len(failed)} of {len(stream)} failed (s, body): {failed}"
        assert stream[0].start < started and stream[-1].end > ended, (
            f"{kind}: the stream did not cover the updates "
            f"({stream[0].start - started:.1f} .. {stream[-1].end - ended:.1f} s)")
        assert len({r.body for r in stream}) == 2, f"{kind}: {_summary(stream)}"
