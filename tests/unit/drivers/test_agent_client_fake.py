"""FakeAgentClient: keeps what it is sent and fails when told to."""

from __future__ import annotations

import asyncio

import pytest

from livia.domain.errors import PermanentError, TemporaryError
from livia.drivers.agent_client import AgentEndpoint
from livia.drivers.agent_client_fake import FakeAgentClient
from livia.protocol.agent import PlugNetwork, PlugVip

A = AgentEndpoint("amp-a", "198.18.0.10", 9443)
B = AgentEndpoint("amp-b", "198.18.0.11", 9443)


def test_it_keeps_configs_and_plugs_per_amphora() -> None:
    async def go() -> FakeAgentClient:
        client = FakeAgentClient()
        await client.plug_vip(A, PlugVip("AA:BB:CC:00:00:01", "10.0.0.5", 24, None, "10.0.0.10"))
        await client.plug_network(A, PlugNetwork("aa:bb:cc:00:00:02", ("10.1.0.5/24",)))
        await client.put_haproxy(A, "one")
        await client.put_haproxy(A, "two")
        await client.put_keepalived(B, "vrrp")
        return client
    client = asyncio.run(go())
    a, b = client.amphorae["amp-a"], client.amphorae["amp-b"]
    assert (a.haproxy, a.haproxy_history, a.keepalived) == ("two", ["one", "two"], None)
    assert a.vip is not None and a.vip.vrrp_ip == "10.0.0.5"
    assert list(a.networks) == ["aa:bb:cc:00:00:02"]
    assert (b.keepalived, b.haproxy) == ("vrrp", None)
    info = asyncio.run(client.info(A))
    assert info.haproxy_running and not info.keepalived_running
    assert info.interfaces == {"eth1": "AA:BB:CC:00:00:01", "eth2": "aa:bb:cc:00:00:02"}


def test_fail_next_fails_only_the_matching_calls_then_recovers() -> None:
    client = FakeAgentClient()
    client.fail_next("permanent", method="put_haproxy", amphora_id="amp-a", message="bad cfg")
    asyncio.run(client.put_haproxy(B, "fine"))
    with pytest.raises(PermanentError, match="bad cfg"):
        asyncio.run(client.put_haproxy(A, "x"))
    asyncio.run(client.put_haproxy(A, "y"))
    assert client.amphorae["amp-a"].haproxy == "y"
    client.fail_next("temporary", times=2)
    for _ in range(2):
        with pytest.raises(TemporaryError):
            asyncio.run(client.info(A))
    asyncio.run(client.info(A))


def test_an_unreachable_amphora_fails_temporarily_until_cleared() -> None:
    client = FakeAgentClient()
    client.set_unreachable("amp-a")
    with pytest.raises(TemporaryError):
        asyncio.run(client.wait_ready(A, 1.0))
    client.set_unreachable("amp-a", False)
    assert asyncio.run(client.wait_ready(A, 1.0)).amphora_id == "amp-a"
    assert ("wait_ready", "amp-a") in client.calls


def test_stop_keepalived_is_recorded_and_undone_by_the_next_config() -> None:
    async def go() -> FakeAgentClient:
        client = FakeAgentClient()
        await client.put_keepalived(A, "vrrp")
        await client.stop_keepalived(A)
        assert not (await client.info(A)).keepalived_running
        await client.put_keepalived(A, "vrrp")
        return client
    client = asyncio.run(go())
    assert asyncio.run(client.info(A)).keepalived_running
