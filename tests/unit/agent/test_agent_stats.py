"""``show stat`` CSV → heartbeat content, and counters carried across HAProxy workers."""

from __future__ import annotations

import json

from livia.agent.haproxy_cli import parse_show_proc, parse_show_table
from livia.agent.stats import CounterBook, StatsSample, member_status, parse_stats
from livia.protocol.agent import AgentInfo

# The header HAProxy 2.6 prints, cut after the columns the agent reads.
HEADER = ("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
          "wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,"
          "sid,throttle,lbtot,tracked,type,")
COLUMNS = HEADER[2:].rstrip(",").split(",")
L1, L2 = "11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"
P1, P2 = "22222222-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002"
M1, M2, M3 = "m-1", "m-2", "m-3"


def _row(**values: str | int) -> str:
    return ",".join(str(values.get(c, "")) for c in COLUMNS) + ","


def _frontend(name: str, status: str = "OPEN", scur: int = 0, stot: int = 0, bin_: int = 0,
              bout: int = 0, ereq: int = 0) -> str:
    return _row(pxname=name, svname="FRONTEND", scur=scur, stot=stot, bin=bin_, bout=bout,
                ereq=ereq, status=status, type=0)


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n\n"


STATS = _csv(
    _frontend(L1, scur=3, stot=40, bin_=1000, bout=5000, ereq=2),
    _frontend(L2, status="FULL"),
    _row(pxname=f"{P1}:{L1}", svname=M1, status="UP 1/3", weight=1, type=2),
    _row(pxname=f"{P1}:{L1}", svname=M2, status="DOWN", weight=1, type=2),
    _row(pxname=f"{P1}:{L1}", svname="BACKEND", status="UP", type=1),
    _row(pxname=P2, svname=M3, status="no check", weight=1, type=2),
    _row(pxname=P2, svname="BACKEND", status="DOWN", type=1),
)


def test_frontends_become_listeners_with_their_counters() -> None:
    sample = parse_stats(STATS)
    assert set(sample.listeners) == {L1, L2}
    one = sample.listeners[L1]
    assert (one.status, one.conns) == ("OPEN", 3)
    assert one.counters == {"rx": 1000, "tx": 5000, "totconns": 40, "ereq": 2}
    assert sample.listeners[L2].status == "FULL"


def test_backends_become_pools_by_pool_id_with_their_members() -> None:
    pools = parse_stats(STATS).pools
    assert set(pools) == {P1, P2}
    assert pools[P1].status == "UP"
    assert pools[P1].members == {M1: "UP", M2: "DOWN"}
    assert (pools[P2].status, pools[P2].members) == ("DOWN", {M3: "no check"})


def test_a_pool_behind_two_listeners_reports_its_worst_member_state() -> None:
    text = _csv(
        _row(pxname=f"{P1}:{L1}", svname=M1, status="UP", weight=1, type=2),
        _row(pxname=f"{P1}:{L1}", svname="BACKEND", status="UP", type=1),
        _row(pxname=f"{P1}:{L2}", svname=M1, status="DOWN 1/2", weight=1, type=2),
        _row(pxname=f"{P1}:{L2}", svname="BACKEND", status="DOWN", type=1),
    )
    pool = parse_stats(text).pools[P1]
    assert (pool.status, pool.members) == ("DOWN", {M1: "DOWN"})


def test_member_states_map_onto_the_wire_values() -> None:
    assert member_status("UP", 1) == "UP"
    assert member_status("UP 2/3", 1) == "UP"
    assert member_status("UP", 0) == "DRAIN"
    assert member_status("DOWN 1/2", 1) == "DOWN"
    assert member_status("NOLB", 1) == "DRAIN"
    assert member_status("DRAIN", 0) == "DRAIN"
    assert member_status("MAINT", 1) == "MAINT"
    assert member_status("MAINT (via p/x)", 1) == "MAINT"
    assert member_status("no check", 1) == "no check"


def test_a_stopped_frontend_is_down_and_garbage_is_empty() -> None:
    assert parse_stats(_csv(_frontend(L1, status="STOP"))).listeners[L1].status == "DOWN"
    assert parse_stats("Unknown command\n") == StatsSample()
    assert parse_stats("") == StatsSample()


def _sample(rx: int, totconns: int) -> StatsSample:
    return parse_stats(_csv(_frontend(L1, bin_=rx, stot=totconns)))


def test_counters_carry_over_a_worker_restart_seen_as_a_reset() -> None:
    book = CounterBook()
    assert book.observe(_sample(1000, 10))[L1].rx == 1000
    assert book.observe(_sample(1500, 12))[L1].rx == 1500
    after_reset = book.observe(_sample(200, 1))[L1]  # a new worker counts from zero
    assert (after_reset.rx, after_reset.totconns) == (1700, 13)
    assert book.observe(_sample(300, 2))[L1].rx == 1800


def test_a_reload_folds_the_old_workers_counters_exactly() -> None:
    book = CounterBook()
    book.observe(_sample(1000, 10))
    book.fold(_sample(1100, 11))  # sampled just before the reload
    # the new worker has already counted more than the old one had: no reset is visible
    assert book.observe(_sample(5000, 50))[L1].rx == 6100


def test_counters_survive_an_agent_restart() -> None:
    book = CounterBook()
    book.observe(_sample(1000, 10))
    book.observe(_sample(10, 1))
    restored = CounterBook.from_dict(book.to_dict())
    assert restored.observe(_sample(20, 2))[L1].rx == 1020
    assert CounterBook.from_dict({"base": "junk"}).observe(_sample(5, 1))[L1].rx == 5


def test_show_proc_master_line_and_workers() -> None:
    text = ("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
            "5468            master          2 [failed: 1]   0d00h00m09s     2.6.12\n"
            "# workers\n"
            "5656            worker          1               0d00h00m06s     2.6.12\n"
            "# old workers\n"
            "5469            worker          2               0d00h00m09s     2.6.12\n"
            "# programs\n\n")
    state = parse_show_proc(text)
    assert state is not None
    assert (state.pid, state.reloads, state.failed, state.workers) == (5468, 2, 1, 1)
    assert parse_show_proc("") is None


def test_show_table_gives_entries_per_table_and_info_carries_them() -> None:
    text = ("# table: 7b2d8f49:71d50a8a, type: ip, size:10485760, used:2\n"
            "0x55: key=10.0.0.5 use=0 exp=0 server_id=1 server_key=web1\n"
            "0x56: key=10.0.0.6 use=0 exp=0 server_id=2 server_key=web2\n"
            "# table: b2:l2, type: string, size:10485760, used:0\n\n")
    entries = parse_show_table(text)
    assert entries == {"7b2d8f49:71d50a8a": 2, "b2:l2": 0}
    assert parse_show_table("Unknown command\n") == {}
    info = AgentInfo(amphora_id="a", api_version="v1", haproxy_version="2.6",
                     keepalived_version="2.2", haproxy_running=True,
                     keepalived_running=True, stick_entries=entries)
    assert AgentInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info
    assert AgentInfo.from_dict({"amphora_id": "a", "api_version": "v1"}).stick_entries == {}
