"""Feeds are read from public addresses only: a guard against server-side request forgery (SSRF).

Feed addresses come from YAML written by clerks, and redirects from any public site; without a guard,
`feeds check` could be pointed at the cloud's metadata service (169.254.169.254), the database or an
intranet page, and show what it read. So every connection the feed client opens (the first request and
every redirect hop) goes through `GuardedBackend`, an httpcore network backend that resolves the host
once, checks each address, and connects to a checked address itself: what is checked is what is
connected to, so a name that resolves to a public address when checked and to 127.0.0.1 a moment
later (DNS rebinding) cannot get round it. TLS is unchanged: httpcore still sends the host name as
SNI and verifies the certificate against it, and the Host header is the URL's.

Never allowed: link-local (169.254.0.0/16 with the metadata service, fe80::/10), multicast, unspecified
(0.0.0.0, ::) and reserved or documentation addresses. Loopback and private networks (10/8, 172.16/12,
192.168/16, 100.64/10, fc00::/7) only when the caller allows them (COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS:
tests, an intranet portal). The policy is per fetch (a context variable that `fetch_feed` sets), so
one client serves both; a kept-alive connection is checked again before each request it carries.

Proxies from the environment are not used by the feed client: through a proxy, the address connected
to would be the proxy's, and the check would mean nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterable, Iterator

import httpcore

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))

_allow_private: contextvars.ContextVar[bool] = contextvars.ContextVar("allow_private_hosts", default=False)


class InternalAddress(Exception):
    """A connection refused before it was made: the host resolves to an internal address."""

    def __init__(self, host: str, address: str, kind: str):
        super().__init__(f"{host} → {address} ({kind})")
        self.host, self.address, self.kind = host, address, kind


@contextlib.contextmanager
def allowing_private(allow: bool) -> Iterator[None]:
    """Within this block (this thread), connections may go to loopback and private addresses if `allow`."""
    token = _allow_private.set(allow)
    try:
        yield
    finally:
        _allow_private.reset(token)


def refusal(address: Address, *, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused (its kind: "loopback", "link-local"...), or None."""
    if isinstance(address, ipaddress.IPv6Address):  # an IPv4 address inside an IPv6 one is that address
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return refusal(embedded, allow_private=allow_private)
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_loopback:
        return None if allow_private else "loopback"
    if any(address in network for network in PRIVATE_NETWORKS):
        return None if allow_private else "private"
    if address.is_reserved or address.is_private or not address.is_global:  # documentation, benchmarking, 240/4...
        return "reserved"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """The host's addresses, in the resolver's order (a literal address is itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # as socket.create_connection would have failed
        raise httpcore.ConnectError(f"{host}: {exc}") from exc
    # a scoped IPv6 address ("fe80::1%eth0") is checked without its scope
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, connecting only to addresses `refusal` lets through."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        allow = _allow_private.get()
        addresses = resolve(host, port)
        refused = [(a, kind) for a in addresses if (kind := refusal(a, allow_private=allow))]
        permitted = [a for a in addresses if a not in dict(refused)]
        if not addresses:
            raise httpcore.ConnectError(f"{host}: no address")
        if not permitted:
            address, kind = refused[0]
            raise InternalAddress(host, str(address), kind)
        last: Exception | None = None
        for address in permitted:  # as socket.create_connection does: each in turn
            try:
                stream = self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _GuardedStream(stream, host, address)
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        raise InternalAddress(path, path, "unix socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedStream(httpcore.NetworkStream):
    """A connection that knows its address: a kept-alive one is checked again against the policy of the
    fetch that reuses it (a connection opened for a test's loopback feed is no way in for another fetch)."""

    def __init__(self, stream: httpcore.NetworkStream, host: str, address: Address):
        self._stream, self._host, self._address = stream, host, address

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        kind = refusal(self._address, allow_private=_allow_private.get())
        if kind:
            raise InternalAddress(self._host, str(self._address), kind)
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _GuardedStream(self._stream.start_tls(ssl_context, server_hostname, timeout), self._host, self._address)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)
