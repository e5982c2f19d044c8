"""Real loopback HTTP pieces for the MM7 integration tests (port 0 everywhere)."""
from __future__ import annotations

import treq.client
from twisted.internet import defer, reactor
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.mms.endpoint import Mm7Root


def http_client():
    return treq.client.HTTPClient(Agent(reactor, pool=HTTPConnectionPool(reactor, persistent=False)))


class MediaServer(Resource):
    """Serves ``files[path] = (content_type, bytes)``; ``/hop/N`` redirects N times."""

    isLeaf = True

    def __init__(self, files):
        super().__init__()
        self.files, self.hits = files, []

    def render_GET(self, request):
        path = request.path.decode()
        self.hits.append(path)
        if path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            request.setResponseCode(302)
            request.setHeader(b"location", b"/pic.png" if left <= 1 else f"/hop/{left - 1}".encode())
            return b""
        if path not in self.files:
            request.setResponseCode(404)
            return b"not found"
        ctype, data = self.files[path]
        request.setHeader(b"content-type", ctype.encode())
        return data


class Gateway:
    """An ``Mm7Root`` at /mm7 recording what the MMSC posts."""

    def __init__(self):
        self.reports, self.delivered, self._waiters = [], [], []
        top = Resource()
        top.putChild(b"mm7", Mm7Root(self._report, self._deliver))
        self.site = Site(top)

    def _report(self, carrier, report):
        self.reports.append((carrier, report))
        self._wake()

    def _deliver(self, carrier, mm):
        self.delivered.append((carrier, mm))
        self._wake()

    def _wake(self):
        waiters, self._waiters = self._waiters, []
        for d in waiters:
            reactor.callLater(0, d.callback, None)

    def wait(self, timeout=10.0):
        d = defer.Deferred()
        self._waiters.append(d)
        return d.addTimeout(timeout, reactor)


class Ports:
    def __init__(self):
        self.ports = []

    @defer.inlineCallbacks
    def serve(self, site_or_resource) -> str:
        site = site_or_resource if isinstance(site_or_resource, Site) else Site(site_or_resource)
        port = yield reactor.listenTCP(0, site, interface="127.0.0.1")
        self.ports.append(port)
        return f"http://127.0.0.1:{port.getHost().port}"

    def add(self, port):
        self.ports.append(port)
        return f"http://127.0.0.1:{port.getHost().port}"

    def close(self):
        return defer.gatherResults([defer.maybeDeferred(p.stopListening) for p in self.ports])
