"""What the services may ask of a store: the typed seam between them and
``gateway.store.store.Store`` (the daemon's) or ``gateway.store.testing.MemoryStore``
(the unit tests').  A test holds both to this interface.

Rules: a job is a function of a SQLAlchemy ``Connection`` (in a transaction)
and its arguments; every call returns a Deferred of the job's result that
never fires before the call returns; a job's exception fails only its own
Deferred.  After ``stop()`` every call fails with ``StoreClosed``.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from twisted.internet.defer import Deferred

from .faults import Episodes


class Store(Protocol):
    url: str
    faults: Episodes  # the failing episodes (/health)
    stats: dict[str, int]
    # Called on the reactor after a commit that wrote callback_outbox
    # (gateway.store.signals), once the commit's Deferreds have fired.
    on_outbox: list[Callable[[], Any]]

    @property
    def is_open(self) -> bool: ...

    @property
    def queue_depth(self) -> int: ...  # writes queued and not answered yet

    def start(self) -> Deferred: ...

    def stop(self) -> Deferred: ...

    def write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred: ...

    def read(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred: ...

    def side_write(self, fn: Callable[..., Any], *args, **kwargs) -> Deferred: ...

    def checkpoint(self, mode: str = "PASSIVE") -> Deferred: ...
