"""Pure routing: which carrier takes a message, and which next on failure.

Rules:

* The channel picks the protocol: ``sms`` goes to ``smpp`` carriers, ``mms``
  to ``mm7`` carriers.
* Among those, the carrier whose ``routes`` holds the longest prefix of the
  destination wins; ``"+"`` matches every E.164 number, and is the only
  route for a short code (digits without ``+``, which no ``+digits``
  prefix can name).  Ties go to the
  carrier listed first in the config (operators read top to bottom).
* The candidates are that carrier, then its ``fallback``, then the
  fallback's fallback, never visiting a carrier twice.
* No match means no candidates: the message cannot be routed (30008).

A :class:`Router` is immutable; SIGHUP builds a new one from the new config
and the pipeline swaps it in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from gateway.config.model import CarrierConfig

PROTOCOL_BY_CHANNEL = {"sms": "smpp", "mms": "mm7"}


@dataclass(frozen=True)
class Route:
    prefix: str
    carrier: str
    order: int  # position of the carrier in the config


class Router:
    def __init__(self, carriers: Iterable[CarrierConfig]):
        carriers = tuple(carriers)
        self._fallback = {c.name: c.fallback for c in carriers}
        self._protocol = {c.name: c.protocol for c in carriers}
        by_protocol: dict[str, list[Route]] = {}
        for order, carrier in enumerate(carriers):
            for prefix in carrier.routes:
                by_protocol.setdefault(carrier.protocol, []).append(Route(prefix, carrier.name, order))
        # Longest prefix first, then config order: the first hit is the answer.
        self._routes = {
            protocol: tuple(sorted(routes, key=lambda r: (-len(r.prefix), r.order)))
            for protocol, routes in by_protocol.items()
        }

    def primary(self, channel: str, destination: str) -> str | None:
        protocol = PROTOCOL_BY_CHANNEL.get(channel)
        short_code = not destination.startswith("+")
        for route in self._routes.get(protocol, ()):
            if destination.startswith(route.prefix) or (short_code and route.prefix == "+"):
                return route.carrier
        return None

    def routes(self, channel: str) -> tuple[Route, ...]:
        """The channel's routes in the order ``primary`` tries them: the
        first whose prefix the destination starts with is its route."""
        return self._routes.get(PROTOCOL_BY_CHANNEL.get(channel), ())

    def chain(self, carrier: str | None) -> tuple[str, ...]:
        """*carrier* and its fallback chain, in the order to try them."""
        out: list[str] = []
        name = carrier
        while name is not None and name not in out and name in self._protocol:
            out.append(name)
            name = self._fallback.get(name)
        return tuple(out)

    def candidates(self, channel: str, destination: str) -> tuple[str, ...]:
        """The primary carrier and its fallback chain, in the order to try them."""
        return self.chain(self.primary(channel, destination))
