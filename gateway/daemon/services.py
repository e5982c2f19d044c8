"""Small services the composition root wraps around parts that are not
services themselves: the store, the API's listening port, and start/stop
callables (a handler's sweeps).  Each one's ``startService`` returns what its
start returns, so the tree waits for it before starting the next child.
"""
from __future__ import annotations

from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import maybeDeferred


class StoreService(Service):
    name = "store"

    def __init__(self, store):
        self.store = store

    def startService(self):
        super().startService()
        return self.store.start()

    def stopService(self):
        super().stopService()
        return self.store.stop()


class ListenService(Service):
    """Listens on a server endpoint with a site; ``port`` is the bound port."""

    name = "api"

    def __init__(self, endpoint, factory, on_listening: Callable[[int], Any] | None = None):
        self.endpoint = endpoint
        self.factory = factory
        self.on_listening = on_listening
        self.listening = None

    @property
    def port(self) -> int | None:
        return None if self.listening is None else self.listening.getHost().port

    def startService(self):
        super().startService()

        def bound(port):
            self.listening = port
            if self.on_listening is not None:
                self.on_listening(self.port)
            return port

        return self.endpoint.listen(self.factory).addCallback(bound)

    def stopService(self):
        super().stopService()
        if self.listening is None:
            return None
        listening, self.listening = self.listening, None
        return maybeDeferred(listening.stopListening)


class HookService(Service):
    """start/stop callables as a service (e.g. the deliver handler's sweeps)."""

    def __init__(self, name: str, start: Callable[[], Any], stop: Callable[[], Any]):
        self.name = name
        self._start, self._stop = start, stop

    def startService(self):
        super().startService()
        return self._start()

    def stopService(self):
        super().stopService()
        return self._stop()
