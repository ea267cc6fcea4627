"""Guard: the addresses the bot may connect to when it fetches a URL on someone's word.

Feeds come from people (feeds.yaml, ``feeds add``, ``/addfeed``, OPML files) and from servers (every redirect
hop), so a URL may point at the machine itself or its private network: loopback, private, link-local,
multicast and reserved addresses are refused unless the admin allows them (``TIESWATCH_ALLOW_PRIVATE``).

The check runs where the connection is made: the host name is resolved here, each address is checked, and
the socket is opened to that very address, so a name that resolves differently a second later (DNS
rebinding), a redirect, or a spelling such as ``0x7f000001`` cannot slip past it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence

import httpcore

from bot.config import Network
from bot.errors import AddressRefused

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_HINT = "set TIESWATCH_ALLOW_PRIVATE=1 (or to the networks to allow) to fetch such addresses"


def refusal(address: Address, allowed: Iterable[Network] = ()) -> str | None:
    """Why the bot may not connect to ``address`` ("a loopback address"), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address.version == n.version and address in n for n in allowed):
        return None
    for kind, flag in (
        ("an unspecified", address.is_unspecified),  # 0.0.0.0 reaches this machine
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),  # cloud metadata services live here
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
        ("a non-public", not address.is_global),
    ):
        if flag:
            return f"{kind} address"
    return None


def literal_refusal(host: str, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``host`` is refused when it is an address literal, in any spelling the resolver accepts
    (``127.1``, ``0x7f000001``, ``2130706433``, ``[::1]``) or ``localhost``; None for other names, which are
    checked once resolved, when the fetch connects."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        address: Address = ipaddress.ip_address("127.0.0.1")
    else:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            try:  # the resolver's own reading of numeric spellings, without asking any server
                address = ipaddress.ip_address(socket.inet_ntoa(socket.inet_aton(host)))
            except (OSError, ValueError):
                return None
    why = refusal(address, allowed)
    return f"{host} is {why}; {ALLOW_HINT}" if why else None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking every host before it connects to it."""

    def __init__(self, allowed: Sequence[Network] = ()):
        self.allowed = tuple(allowed)
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except socket.gaierror as e:
            raise httpcore.ConnectError(str(e)) from e
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        refused = []
        error: Exception | None = None
        for text in addresses:
            why = refusal(ipaddress.ip_address(text.split("%")[0]), self.allowed)
            if why:
                refused.append(f"{text} ({why})")
                continue
            try:
                return await self._backend.connect_tcp(
                    text, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        if error is not None:
            raise error
        shown = refused[0] if host in addresses else f"{host}, which resolves to {', '.join(refused)}"
        raise AddressRefused(host, f"refused to connect to {shown}: {ALLOW_HINT}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):  # noqa: ANN001
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
