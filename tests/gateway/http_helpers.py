"""A real local HTTP server (twisted.web, port 0) that records requests and
answers from a script; used by the callback and end-to-end tests."""
from __future__ import annotations

from twisted.internet import defer, reactor
from twisted.web import resource, server


class Changes:
    """Something observable happened (a callback request arrived, the gateway
    committed a write, a bind went up or down): waiters re-check their
    condition on it instead of polling on a timer."""

    def __init__(self):
        self._waiters: list[defer.Deferred] = []

    def next(self) -> defer.Deferred:
        d = defer.Deferred()
        self._waiters.append(d)
        return d

    def fire(self, result=None):
        waiters, self._waiters = self._waiters, []
        for d in waiters:
            if not d.called:
                d.callback(None)
        return result


CHANGES = Changes()


class Recorder(resource.Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.requests: list[dict] = []
        self.script: list[tuple[int, bytes]] = []  # answers to give first, in order
        self.default = (200, b"")
        self._waiters: list[tuple[int, defer.Deferred]] = []

    def render(self, request):
        args = {k.decode(): [v.decode() for v in vs] for k, vs in request.args.items()}
        self.requests.append({"method": request.method.decode(), "path": request.path.decode(),
                              "args": args, "uri": request.uri.decode()})
        code, body = self.script.pop(0) if self.script else self.default
        request.setResponseCode(code)
        if body.startswith(b"<"):
            request.setHeader(b"content-type", b"application/xml")
        self._notify()
        CHANGES.fire()
        return body

    def _notify(self):
        ready = [(n, d) for n, d in self._waiters if len(self.requests) >= n]
        self._waiters = [(n, d) for n, d in self._waiters if len(self.requests) < n]
        for _, d in ready:
            reactor.callLater(0, d.callback, None)

    def wait(self, count: int, timeout: float = 10.0) -> defer.Deferred:
        if len(self.requests) >= count:
            return defer.succeed(None)
        d = defer.Deferred()
        self._waiters.append((count, d))
        return d.addTimeout(timeout, reactor)

    def statuses(self, sid=None):
        return [r["args"]["MessageStatus"][0] for r in self.requests
                if "MessageStatus" in r["args"] and (sid is None or r["args"]["MessageSid"][0] == sid)]


def serve(recorder: Recorder):
    port = reactor.listenTCP(0, server.Site(recorder), interface="127.0.0.1")
    return port, f"http://127.0.0.1:{port.getHost().port}"
