"""Builds the ``/console`` resource from ``[console]`` and the daemon's parts."""
from __future__ import annotations

from typing import Any

from gateway.console.auth import ConsoleAuth
from gateway.console.passwords import Operators, Sessions
from gateway.console.resource import Console
from gateway.store.interface import Store


def console_resource(settings: Any, guard: Any, monitor: Any, snapshot: Any, store: Store,
                     clock: Any, *, node: str) -> Console:
    """``node``: this node's id (``[cluster] node_id``, the host name by default)."""
    return Console(ConsoleAuth(guard, Operators(settings.users)), Sessions(clock), monitor, snapshot,
                   store, clock, node)
