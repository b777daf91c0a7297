"""Where a channel may send: the URL form of each kind, and the addresses it resolves to.

Checked when a channel is saved and again before every attempt, on the
addresses the request will actually use: a name that resolved to a public
address yesterday may point at 127.0.0.1 or the cloud metadata service today
(DNS rebinding). The sender connects to the address checked here, not to a
second lookup. Pure apart from DNS, which is a parameter.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

MAX_URL = 2000
Resolver = Callable[[str, int], list[str]]


class TargetRefused(ValueError):
    """The URL may not be used; the message says why in words a user can act on."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    host: str
    port: int
    address: str

    @property
    def connect_url(self) -> str:
        """The URL with its host replaced by the checked address (Host and SNI keep the name)."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{self.port}"
        path = parts.path or "/"
        return f"{parts.scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host name {host} does not resolve ({exc})") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_problem(address: str) -> str | None:
    """Why an address is not a public one, or None.

    An IPv6 address that carries an IPv4 address (mapped, 6to4 2002::/16, Teredo 2001::/32) is
    judged by that IPv4 address too: 2002:7f00:1:: is 127.0.0.1 behind a 6to4 relay.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.sixtofour] if ip.sixtofour else []
        embedded += list(ip.teredo) if ip.teredo else []
        for inner in embedded:
            problem = address_problem(str(inner))
            if problem:
                return f"{problem.rsplit(' (', 1)[0]} inside {ip} ({inner})"
    for test, words in ((ip.is_loopback, "a loopback"), (ip.is_link_local, "a link-local"),
                        (ip.is_multicast, "a multicast"), (ip.is_private, "a private"),
                        (ip.is_reserved, "a reserved"), (ip.is_unspecified, "an unspecified"),
                        (not ip.is_global, "a non-public")):
        if test:
            return f"{words} address ({ip})"
    return None


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _names_loopback(host: str) -> bool:
    """'localhost' or a loopback address literal (decided without DNS)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _is_loopback(host.strip("[]"))
    except ValueError:
        return False


def _form_problem(kind: str, host: str, path: str) -> str | None:
    if kind == "slack":
        if host != "hooks.slack.com" or not path.startswith("/services/") or len(path) <= len("/services/"):
            return "a Slack incoming webhook URL looks like https://hooks.slack.com/services/..."
    elif kind == "teams":
        if host.endswith(".webhook.office.com") or host == "outlook.office.com":
            return ("this is an Office 365 connector URL, which Microsoft retired; create a Teams Workflows "
                    "webhook ('Post to a channel when a webhook request is received') and use its URL")
        workflows = host.endswith(".logic.azure.com") and "/workflows/" in path
        power = host.endswith(".api.powerplatform.com") and ".environment." in f".{host}"
        if not (workflows or power):
            return ("a Teams Workflows webhook URL looks like https://<region>.logic.azure.com/workflows/... "
                    "or https://<id>.environment.api.powerplatform.com/...")
    return None


def check_url(kind: str, url: str, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """The target for `url`, or TargetRefused with the reason.

    https only; plain http only to a loopback address when private targets
    are allowed (a receiver on this machine, as in tests). Slack and Teams
    URLs must have their services' forms, except on loopback with private
    targets allowed (a local relay or test receiver).
    """
    url = (url or "").strip()
    if not url:
        raise TargetRefused("a URL is required")
    if len(url) > MAX_URL:
        raise TargetRefused(f"the URL is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the URL must start with https:// and name a host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not contain a user name or password")
    host = parts.hostname.lower().rstrip(".")
    port = port or (443 if parts.scheme == "https" else 80)
    # The URL's form is checked before DNS, so a wrong URL gets the precise
    # answer even where its host does not resolve.
    if not (allow_private and _names_loopback(host)):
        problem = _form_problem(kind, host, parts.path)
        if problem:
            raise TargetRefused(problem)
        if parts.scheme != "https":
            raise TargetRefused("the URL must use https://")
    addresses = resolve(host, port)
    if not addresses:
        raise TargetRefused(f"the host name {host} does not resolve")
    if allow_private and _names_loopback(host) and not all(_is_loopback(a) for a in addresses):
        raise TargetRefused(f"{host} does not resolve to a loopback address")
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise TargetRefused(f"{host} resolves to {problem}; targets on loopback or private networks "
                                    "are refused (set TRACKER_WEBHOOK_ALLOW_PRIVATE=1 to allow them)")
    return Target(url=url, host=host, port=port, address=addresses[0])
