"""Client endpoints for binds: TCP or TLS, and a guard for ClientService.

``endpoint_factory(reactor)`` returns the default factory a carrier uses:
``factory(settings) -> IStreamClientEndpoint``, plain TCP or TLS verifying
the SMSC's certificate against ``tls_ca`` (or the system trust store) and
``tls_hostname`` (or ``host``).

:class:`GuardedEndpoint` wraps any endpoint for ClientService.  ClientService
(Twisted 26) has no transition for a connection that closes while it is
still connecting or already waiting to retry: that happens whenever a bind
is refused and we close the socket, and it raises ``NoTransition`` inside the
reactor.  The guard swallows exactly that, after the protocol itself has seen
the loss; the state machine never changed state, so nothing else is lost.
"""
from __future__ import annotations

from typing import Any, Callable

from automat import NoTransition
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.logger import Logger
from zope.interface import implementer

log = Logger()


def endpoint_factory(reactor: Any) -> Callable[[Any], IStreamClientEndpoint]:
    def factory(settings: Any) -> IStreamClientEndpoint:
        from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS

        tcp = HostnameEndpoint(reactor, settings.host, settings.port,
                               timeout=settings.connect_timeout)
        if not getattr(settings, "tls", False):
            return tcp
        return wrapClientTLS(tls_options(settings), tcp)

    return factory


def tls_options(settings: Any) -> Any:
    from twisted.internet import ssl

    hostname = getattr(settings, "tls_hostname", None) or settings.host
    if not getattr(settings, "tls_verify", True):
        # Operator's explicit choice (lab SMSCs with self-signed certificates).
        return ssl.CertificateOptions(verify=False)
    ca_file = getattr(settings, "tls_ca", None)
    if ca_file:
        with open(ca_file, "rb") as f:
            pem = f.read()
        trust = ssl.trustRootFromCertificates(_certificates(pem))
        return ssl.optionsForClientTLS(hostname, trustRoot=trust)
    return ssl.optionsForClientTLS(hostname)


def _certificates(pem: bytes) -> list[Any]:
    from twisted.internet import ssl

    marker = b"-----END CERTIFICATE-----"
    blocks = [b + marker for b in pem.split(marker) if b"BEGIN CERTIFICATE" in b]
    return [ssl.Certificate.loadPEM(block) for block in blocks]


def set_no_delay(transport: Any) -> None:
    """TCP_NODELAY on the socket under ``transport`` (through TLS if needed)."""
    for _ in range(3):
        setter = getattr(transport, "setTcpNoDelay", None)
        if setter is not None:
            try:
                setter(True)
            except (OSError, AttributeError):  # not a TCP socket
                pass
            return
        transport = getattr(transport, "transport", None)
        if transport is None:
            return


class _GuardProtocol:
    """Forwards everything to ClientService's proxy; tolerates NoTransition."""

    def __init__(self, proxy: IProtocol) -> None:
        self.proxy = proxy

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport
        self.dataReceived = self.proxy.dataReceived
        self.proxy.makeConnection(transport)

    def connectionMade(self) -> None:  # makeConnection already did it
        pass

    def connectionLost(self, reason: Any) -> None:
        try:
            self.proxy.connectionLost(reason)
        except NoTransition:
            log.debug("connection closed before the bind completed")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.proxy, name)


@implementer(IProtocolFactory)
class _GuardFactory:
    def __init__(self, factory: IProtocolFactory) -> None:
        self.factory = factory

    def buildProtocol(self, addr: Any) -> Any:
        proxy = self.factory.buildProtocol(addr)
        return None if proxy is None else _GuardProtocol(proxy)

    def doStart(self) -> None:
        self.factory.doStart()

    def doStop(self) -> None:
        self.factory.doStop()


@implementer(IStreamClientEndpoint)
class GuardedEndpoint:
    def __init__(self, endpoint: IStreamClientEndpoint) -> None:
        self.endpoint = endpoint

    def connect(self, factory: IProtocolFactory) -> Deferred:
        d = self.endpoint.connect(_GuardFactory(factory))
        return d.addCallback(lambda guard: guard.proxy)

    def __repr__(self) -> str:
        return f"<GuardedEndpoint {self.endpoint!r}>"
