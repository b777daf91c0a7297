"""Who may read /metrics: pure rules over the caller's address and Authorization header.

With TRACKER_METRICS_TOKEN set, a scrape needs `Authorization: Bearer <token>`
(compared in constant time); with TRACKER_METRICS_ALLOW set as well, it must also
come from one of those addresses. Without a token, only the allowed addresses
(loopback by default) may scrape. Behind a reverse proxy every caller has the
proxy's address, so use the token there.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

LOOPBACK = "127.0.0.1/32,::1/128"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str, setting: str = "TRACKER_METRICS_ALLOW") -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks; a ValueError naming the setting for a bad one."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(networks)


@dataclass(frozen=True)
class Decision:
    status: int  # 200 allowed, 401 token missing or wrong, 403 address not allowed
    reason: str = ""


def _in(address: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def _bearer(header: str | None) -> str:
    scheme, _, value = (header or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def decide(address: str | None, authorization: str | None, token: str | None,
           networks: tuple[Network, ...], networks_configured: bool) -> Decision:
    """May a caller at `address` with this Authorization header read the metrics?"""
    if token:
        given = _bearer(authorization)
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Decision(401, "a bearer token is needed")
        if networks_configured and not _in(address, networks):
            return Decision(403, "this address may not read the metrics")
        return Decision(200)
    if not _in(address, networks):
        return Decision(403, "this address may not read the metrics")
    return Decision(200)
