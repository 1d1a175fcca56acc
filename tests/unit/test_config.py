"""COOP_BASE_URL and COOP_TRUSTED_HOSTS: read strictly, and the rule for links and hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from coop.config import LOCAL_BASE_URL, ConfigError, Settings, parse_base_url, parse_hosts


def settings(**env: str) -> Settings:
    return Settings.from_env({"COOP_SECRET_KEY": "x", "COOP_INSTANCE_DIR": str(Path("/nonexistent")), **env})


@pytest.mark.parametrize("raw, expected", [
    ("https://coop.example.org", "https://coop.example.org"),
    ("https://coop.example.org/", "https://coop.example.org"),
    ("https://coop.example.org:8443/members/", "https://coop.example.org:8443/members"),
    ("http://192.0.2.10:5000", "http://192.0.2.10:5000"),
    ("  ", None),
])
def test_a_base_url_is_an_http_address_without_a_trailing_slash(raw, expected):
    assert parse_base_url(raw) == expected


@pytest.mark.parametrize("raw", [
    "coop.example.org", "ftp://coop.example.org", "https://", "https://coop.example.org/?next=1",
    "https://coop.example.org/#x", "https://user:pw@coop.example.org", "https://coop.example.org:99999",
    "https://[::1]:5000", "https://evil.example\\@coop.example.org", "javascript:alert(1)",
])
def test_anything_else_is_refused_naming_the_variable(raw):
    with pytest.raises(ConfigError, match="COOP_BASE_URL"):
        parse_base_url(raw)


def test_trusted_hosts_are_host_names_separated_by_commas_or_spaces():
    assert parse_hosts("proxy.internal, .example.org  Coop.Example.NET") == (
        "proxy.internal", ".example.org", "coop.example.net")
    for bad in ("*", "https://proxy.internal", "proxy.internal:8080", "proxy/internal"):
        with pytest.raises(ConfigError, match="COOP_TRUSTED_HOSTS"):
            parse_hosts(bad)


def test_hosts_are_the_base_urls_plus_the_listed_ones_and_loopback_only_in_local_mode():
    production = settings(COOP_BASE_URL="https://Coop.Example.org/x", COOP_TRUSTED_HOSTS="proxy.internal")
    assert production.links_base() == "https://Coop.Example.org/x"
    assert production.allowed_hosts() == ["coop.example.org", "proxy.internal"]
    local = settings(COOP_SECURE_COOKIES="0")
    assert local.links_base() == LOCAL_BASE_URL
    assert local.allowed_hosts() == ["127.0.0.1", "localhost"]


def test_without_a_base_url_outside_local_mode_there_are_no_links_and_no_hosts():
    bare = settings()
    for ask in (bare.links_base, bare.allowed_hosts):
        with pytest.raises(ConfigError, match="COOP_BASE_URL is not set"):
            ask()
