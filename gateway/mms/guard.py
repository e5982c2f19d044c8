"""SSRF guard for every customer-named URL (media fetches, status callbacks,
``sms_url`` requests, RCML callbacks): an HTTP agent endpoint factory that
resolves the host itself and refuses private, loopback, link-local,
multicast and reserved addresses before connecting — at connect time, for
every redirect hop, so DNS rebinding and redirects to internal hosts are
refused too.

* ``allow_private=True`` (labs and tests) turns the check off.
* ``allow_hosts`` (``[callbacks] allow_hosts``) lets chosen internal hosts
  through, applied after name resolution: an entry is a host name or an IP
  address, optionally with ``:port`` (``"127.0.0.1"``,
  ``"hooks.internal:8443"``, ``"[fd00::1]:80"``).  A connection is allowed
  when the URL's host name or the address it resolved to matches an entry
  (and the port, when the entry names one).
"""
from __future__ import annotations

from twisted.internet.defer import fail, succeed
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, wrapClientTLS
from twisted.web.client import BrowserLikePolicyForHTTPS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer

from gateway.common.weburl import allow_entry, ip_literal, is_public  # noqa: F401  (re-exported)


class BlockedAddress(ConnectionError):
    """The URL's host resolves to an address the guard refuses."""


@implementer(IAgentEndpointFactory)
class GuardedEndpointFactory:
    def __init__(self, reactor, *, allow_private: bool = False, tls_policy=None,
                 connect_timeout: float = 10.0, allow_hosts=(), purpose: str = "media"):
        self._reactor = reactor
        self._allow_private = allow_private
        self._tls = tls_policy or BrowserLikePolicyForHTTPS()
        self._timeout = connect_timeout
        self._allowed = {allow_entry(entry) for entry in allow_hosts}
        self._purpose = purpose

    def endpointForURI(self, uri):
        raw = uri.host.decode("ascii", "replace")
        host = raw if ip_literal(raw) is not None else uri.host.decode("idna")
        return _GuardedEndpoint(self, uri.scheme, host, uri.port)

    def _resolve(self, host: str):
        ip = ip_literal(host)
        if ip is not None:
            return succeed(ip)
        return self._reactor.resolve(host)

    def _check(self, ip: str, host: str, port: int | None = None) -> str:
        if self._allow_private or is_public(ip) or self._allows(ip, host, port):
            return ip
        if self._purpose == "media":
            raise BlockedAddress(f"refusing to fetch media from {host} ({ip}): not a public address")
        raise BlockedAddress(f"refusing to connect to {host} ({ip}): not a public address "
                             f"(see [callbacks] allow_hosts)")

    def _allows(self, ip: str, host: str, port: int | None) -> bool:
        name = ip_literal(host) or host.lower().rstrip(".")
        address = ip_literal(ip) or ip
        return any(entry in self._allowed for entry in (
            (name, None), (name, port), (address, None), (address, port)))


@implementer(IStreamClientEndpoint)
class _GuardedEndpoint:
    def __init__(self, owner: GuardedEndpointFactory, scheme: bytes, host: str, port: int):
        self._owner, self._scheme, self._host, self._port = owner, scheme, host, port

    def connect(self, protocol_factory):
        owner = self._owner
        if self._scheme not in (b"http", b"https"):
            return fail(BlockedAddress(f"unsupported URL scheme {self._scheme!r}"))
        d = owner._resolve(self._host)
        d.addCallback(owner._check, self._host, self._port)
        d.addCallback(self._connect, protocol_factory)
        return d

    def _connect(self, ip: str, protocol_factory):
        owner = self._owner
        kind = TCP6ClientEndpoint if ":" in ip else TCP4ClientEndpoint
        endpoint = kind(owner._reactor, ip, self._port, timeout=owner._timeout)
        if self._scheme == b"https":
            netloc = self._host.encode("ascii" if ip_literal(self._host) else "idna")
            creator = owner._tls.creatorForNetloc(netloc, self._port)
            endpoint = wrapClientTLS(creator, endpoint)
        return endpoint.connect(protocol_factory)
