"""An in-memory network for HTTP clients that take an endpoint factory
(``HostConnections``): each connection joins the client's protocol to a real
twisted.web ``Site`` through a pair of transports on a Clock.

Rules: bytes written at one end reach the other when the clock turns (the
order kept), and so does a close; a host nobody serves refuses the
connection.  No socket, no reactor: the site's timers run on the same clock.
"""
from __future__ import annotations

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.python.failure import Failure
from twisted.web import server
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer


class _End:
    """One end of a connection: the transport its protocol writes to."""

    def __init__(self, clock, address: IPv4Address) -> None:
        self.clock = clock
        self.address = address
        self.protocol = None
        self.peer: _End | None = None
        self.disconnecting = False
        self.closed = False

    # -- ITransport ---------------------------------------------------------
    def write(self, data: bytes) -> None:
        if not self.disconnecting:
            self.clock.callLater(0, self.peer._receive, data)

    def writeSequence(self, data) -> None:
        self.write(b"".join(data))

    def loseConnection(self) -> None:
        self._close(ConnectionDone)

    def abortConnection(self) -> None:
        self._close(ConnectionLost)

    def getPeer(self) -> IPv4Address:
        return self.peer.address

    def getHost(self) -> IPv4Address:
        return self.address

    def registerProducer(self, producer, streaming) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        self.loseConnection()

    # -- delivery on the clock -----------------------------------------------
    def _receive(self, data: bytes) -> None:
        if not self.closed:
            self.protocol.dataReceived(data)

    def _close(self, reason) -> None:
        if not self.disconnecting:
            self.disconnecting = True
            self.clock.callLater(0, self._lost, reason)  # after what was written before

    def _lost(self, reason) -> None:
        for end in (self, self.peer):
            if not end.closed:
                end.closed = end.disconnecting = True
                end.protocol.connectionLost(Failure(reason()))


class _Endpoint:
    def __init__(self, web: "MemoryWeb", key: tuple) -> None:
        self.web = web
        self.key = key

    def connect(self, factory) -> Deferred:
        d: Deferred = Deferred()
        site = self.web.sites.get(self.key)
        if site is None:
            refused = Failure(ConnectionRefusedError(f"nobody serves {self.key[1]}:{self.key[2]}"))
            self.web.clock.callLater(0, d.errback, refused)
            return d
        self.web.clock.callLater(0, self._joined, d, factory, site)
        return d

    def _joined(self, d: Deferred, factory, site) -> None:
        clock = self.web.clock
        client_end = _End(clock, IPv4Address("TCP", "10.0.0.1", 40000 + len(self.web.connections)))
        server_end = _End(clock, IPv4Address("TCP", "10.0.0.2", self.key[2]))
        client_end.peer, server_end.peer = server_end, client_end
        client_end.protocol = factory.buildProtocol(server_end.address)
        server_end.protocol = site.buildProtocol(client_end.address)
        self.web.connections.append((client_end, server_end))
        server_end.protocol.makeConnection(server_end)
        client_end.protocol.makeConnection(client_end)
        d.callback(client_end.protocol)


class MemoryWeb:
    """Hosts served in memory, by ``(scheme, host, port)``; an endpoint
    factory (``endpointForURI``) for the client under test."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sites: dict[tuple, server.Site] = {}
        self.connections: list[tuple[_End, _End]] = []

    def serve(self, resource, host: str = "hooks.example.com", port: int = 80) -> str:
        """Serve ``resource`` at http://host:port; returns that base URL."""
        return self.serve_site(server.Site(resource, timeout=None, reactor=self.clock), host, port)

    def serve_site(self, site, host: str, port: int = 80) -> str:
        """Serve a site built elsewhere (its timers should be on this clock)."""
        self.sites[("http", host, port)] = site
        return f"http://{host}" + ("" if port == 80 else f":{port}")

    def endpointForURI(self, uri) -> _Endpoint:
        return _Endpoint(self, (uri.scheme.decode(), uri.host.decode(), uri.port))

    @property
    def open(self) -> int:
        """Connections not closed yet."""
        return sum(1 for client, _server in self.connections if not client.closed)


@implementer(IBodyProducer)
class BytesProducer:
    """A request body written at once.  (treq's default, FileBodyProducer,
    writes through the global reactor's cooperator.)"""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.length = len(body)

    def startProducing(self, consumer) -> Deferred:
        consumer.write(self.body)
        return succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


def body_producer(data) -> IBodyProducer:
    """treq's ``data_to_body_producer`` for the in-memory network."""
    if IBodyProducer.providedBy(data):
        return data
    return BytesProducer(data.encode("utf-8") if isinstance(data, str) else bytes(data))
