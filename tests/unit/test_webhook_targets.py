"""Which addresses a webhook may reach: the public internet, plus the operator's allow-list."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from coop.config import Settings
from coop.webhook_targets import RefusedTarget, TargetPolicy, parse_networks

REFUSED = {
    "169.254.169.254": "link-local", "10.0.0.1": "private", "172.16.5.4": "private", "192.168.1.1": "private",
    "127.0.0.1": "loopback", "::1": "loopback", "0.0.0.0": "unspecified", "::": "unspecified",
    "224.0.0.1": "multicast", "ff02::1": "multicast", "fe80::1": "link-local", "fd00::1": "private",
    "240.0.0.1": "private", "100.64.0.1": "not globally routable", "::ffff:127.0.0.1": "loopback",
    "2002:a00:1::": "private",  # 6to4 around 10.0.0.1
}


@pytest.mark.parametrize("address,kind", REFUSED.items())
def test_internal_multicast_and_reserved_addresses_are_refused_naming_what_they_are(address, kind):
    assert TargetPolicy().refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address):
    assert TargetPolicy().refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost", "api.localhost",
                                  "LOCALHOST."])
def test_other_spellings_of_loopback_are_refused_at_registration(host):
    with pytest.raises(RefusedTarget, match="is loopback"):
        TargetPolicy().check_host(host)


def test_names_are_left_to_the_check_after_resolution():
    TargetPolicy().check_host("hooks.example.org")  # no exception, no lookup


def test_the_allow_list_opens_exactly_its_networks():
    policy = TargetPolicy.allowing("10.20.0.0/16", "::1")
    assert policy.refusal(ipaddress.ip_address("10.20.255.1")) is None
    assert policy.refusal(ipaddress.ip_address("::1")) is None
    assert policy.refusal(ipaddress.ip_address("10.21.0.1")) == "private"
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) == "loopback"


def test_every_address_a_name_resolves_to_must_be_allowed():
    def resolver(host, port, type=0):  # type: ignore[no-untyped-def]  # noqa: A002
        return [(2, 1, 6, "", ("93.184.215.14", port)), (10, 1, 6, "", ("fe80::1%eth0", port, 0, 2))]

    with pytest.raises(RefusedTarget, match="resolves to fe80::1, which is link-local"):
        TargetPolicy().resolve(urlsplit("https://hooks.example.org/x"), resolver)


def test_the_operator_setting_is_read_from_the_environment_and_a_typo_stops_the_start():
    settings = Settings.from_env({"COOP_SECRET_KEY": "k", "COOP_WEBHOOK_ALLOW_NETWORKS": "10.20.0.0/16, 127.0.0.1"})
    assert settings.webhook_targets.allowed == parse_networks("10.20.0.0/16,127.0.0.1/32")
    assert Settings.from_env({"COOP_SECRET_KEY": "k"}).webhook_targets == TargetPolicy()
    with pytest.raises(ValueError, match="COOP_WEBHOOK_ALLOW_NETWORKS: '10.20.0.0/33' is not an address or network"):
        Settings.from_env({"COOP_SECRET_KEY": "k", "COOP_WEBHOOK_ALLOW_NETWORKS": "10.20.0.0/33"})
