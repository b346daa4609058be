"""HostNames and the pure parts of the netns network driver."""

from __future__ import annotations

import pytest

from livia.domain.errors import PermanentError
from livia.drivers.network import LB_MGMT_NET, FloatingIpPlumbing
from livia.drivers.network_netns import IFNAMSIZ, HostNames, bridge_mac, fip_ruleset

UUID = "3F2A9C01-D5e6-4f00-8a00-000000000000"


def test_uuid_keys_are_their_first_hex_digits() -> None:
    names = HostNames("lv")
    assert names.bridge(UUID) == "lvb3f2a9c01d"
    assert names.port(UUID) == "lvp3f2a9c01d"
    assert names.bridge(LB_MGMT_NET) == names.mgmt_bridge == "lvmgmt"


def test_other_ids_are_hashed_to_valid_names() -> None:
    names = HostNames("lvt12")
    name = names.port("net one/x")
    assert len(name) == IFNAMSIZ
    assert name.startswith("lvt12p")
    assert all(c in "0123456789abcdef" for c in name[6:])
    assert names.port("net one/x") == name
    assert names.port("net two/x") != name


@pytest.mark.parametrize("prefix", ["lvt123", "", "1lv", "lv-", "LV", "l v"])
def test_unusable_prefixes_fail_clearly(prefix: str) -> None:
    with pytest.raises(PermanentError, match="name_prefix"):
        HostNames(prefix)


def test_longest_prefix_fits_every_interface_name() -> None:
    names = HostNames("lvt12")
    made = [
        names.bridge(UUID),
        names.port(UUID),
        names.fip_external(UUID),
        names.fip_internal(UUID),
        names.mgmt_bridge,
    ]
    assert all(len(name) <= IFNAMSIZ for name in made)
    assert all(names.owns_link(name) for name in made)


def test_ownership_does_not_reach_other_prefixes() -> None:
    short, longer = HostNames("lv"), HostNames("lvt12")
    assert not short.owns_link(longer.bridge(UUID))
    assert not short.owns_link(longer.mgmt_bridge)
    assert not short.owns_netns(longer.instance_netns("x"))
    assert not short.owns_link("lvm")
    assert short.owns_netns(short.amphora_data_netns(UUID))
    assert not short.owns_netns("lv-something-else")


def test_bridge_mac_is_fixed_and_locally_administered() -> None:
    mac = bridge_mac("lvmgmt")
    assert mac == bridge_mac("lvmgmt") != bridge_mac("lvtmgmt")
    assert mac.startswith("02:") and len(mac.split(":")) == 6


def test_fip_ruleset_nats_both_ways() -> None:
    ruleset = fip_ruleset(
        FloatingIpPlumbing("f", "e", "10.9.0.50/24", "m", "n", "10.0.0.3/24", "m2", "10.0.0.100")
    )
    assert "ip daddr 10.9.0.50 dnat to 10.0.0.100" in ruleset
    assert "ip daddr 10.0.0.100 snat to 10.0.0.3" in ruleset
    assert ruleset.index("delete table") < ruleset.index("chain prerouting")
