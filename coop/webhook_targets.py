"""Where webhooks may be sent: addresses on the public internet, unless the operator allows more.

A webhook makes the server send a request to a URL an admin typed. Without a check that is a
way into the server's own network (server-side request forgery): ``http://169.254.169.254/``
reads a cloud provider's instance metadata, ``http://10.0.0.1/`` an internal service,
``http://127.0.0.1:5432/`` probes the database port, and the delivery log reports what
answered. So a target is refused unless every address its host has is globally routable
(``ipaddress``'s ``is_global``, and neither multicast nor reserved), or lies in a network the
operator allows (``COOP_WEBHOOK_ALLOW_NETWORKS``, for receivers on the premises).

The check is made twice: when a subscription is registered (host names that are addresses,
in any spelling, and ``localhost``) and when each delivery is sent, after resolving the host
name. The sender then connects to the address it checked, never resolving the name again,
so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
redirect it.

Pure: no I/O except through the resolver a caller passes.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list[tuple[Any, ...]]]

SETTING = "COOP_WEBHOOK_ALLOW_NETWORKS"
_PUBLIC_ONLY = f"webhooks go to public addresses only (an operator can allow networks with {SETTING})"

# Spellings of an IPv4 address that ipaddress refuses but the C resolver accepts, and so
# urllib and http.client connect to: "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1".
_INET_ATON_SPELLING = re.compile(r"[0-9a-fA-FxX.]+", re.ASCII)


class RefusedTarget(ValueError):
    """A webhook target this installation does not send to; the message says why."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """The operator's allow-list: addresses or networks separated by commas or spaces,
    ``"127.0.0.1, 10.20.0.0/16, fd00::/8"``.

    :raise ValueError: naming the setting and the item that is not an address or network.
    """
    networks = []
    for item in filter(None, re.split(r"[,\s]+", text or "")):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{SETTING}: {item!r} is not an address or network such as 10.20.0.0/16") from None
    return tuple(networks)


def _embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (::ffff:10.0.0.1, 6to4, Teredo): a packet
    to one may end up at the other, so both must pass."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    return [a for a in found if a is not None]


def _kind(address: Address) -> str | None:
    """What makes an address unfit for the public internet, or None when it is fit."""
    for inner in _embedded_ipv4(address):
        kind = _kind(inner)
        if kind:
            return kind
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses webhooks may reach. The default allows the public internet only."""

    #: Networks allowed on top of the public internet (the operator's setting).
    allowed: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, *networks: str) -> TargetPolicy:
        return cls(parse_networks(",".join(networks)))

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` may not be sent to ("loopback", "private" …), or None when it may."""
        if any(address.version == n.version and address in n for n in self.allowed):
            return None
        return _kind(address)

    def check_host(self, host: str) -> None:
        """At registration: refuse a host that is an address, in any spelling, or a name that
        always means this machine. Other names are checked when sent, once resolved.

        :raise RefusedTarget: naming the address and why.
        """
        name = host.rstrip(".").lower()
        written_as_address = False
        if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
            address: Address | None = ipaddress.ip_address("127.0.0.1")
        else:
            try:
                address, written_as_address = ipaddress.ip_address(name), True
            except ValueError:
                address = _inet_aton(name)
        if address is None:
            return
        kind = self.refusal(address)
        if kind:
            raise RefusedTarget(f"{host} is {kind}" + ("" if written_as_address else f" ({address})")
                                + f"; {_PUBLIC_ONLY}")

    def resolve(self, parts: SplitResult, resolver: Resolver = socket.getaddrinfo) -> str:
        """At sending: the address to connect to for a URL's host. Every address the name
        resolves to must be allowed (a name that also points inside is refused), and the
        caller connects to the one returned, without resolving again.

        :raise RefusedTarget: an address is refused.
        :raise OSError: the name does not resolve (socket.gaierror).
        """
        host = parts.hostname or ""
        self.check_host(host)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = resolver(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
        if not addresses:
            raise OSError(f"{host} has no address")
        for address in addresses:
            kind = self.refusal(address)
            if kind:
                raise RefusedTarget(f"{host} resolves to {address}, which is {kind}; {_PUBLIC_ONLY}")
        return str(addresses[0])


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    if not _INET_ATON_SPELLING.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
