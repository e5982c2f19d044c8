"""Which queued messages a cluster node claims: the ones it can send.

In a cluster the bind slots of a carrier are shared out over the nodes
(``gateway.cluster.slots``), so a node may hold no bind of a route's
carriers while another node holds one.  Such a node leaves that route's
messages in the queue for the nodes that can send them; claiming them would
only put them back (``requeue``) or hold them while another node could
send them at once.

Rules:

* A message is *reachable* from this node when its candidate chain (the
  router's longest-prefix carrier, then its fallbacks) holds a carrier that
  is up here: an SMPP carrier with a bind up on this node, or an MM7
  carrier (HTTP: always up).
* A message that no route matches is reachable from every node: it fails at
  once with 21612 on whichever node claims it, instead of waiting forever.
* MaxPrice stays a dispatch-time check: a node that can reach a message
  claims it whatever its price, and passes over the carriers above it.
* ``reach`` describes this as data: per channel, the router's routes in its
  first-hit order, each with whether its chain is reachable.  It is
  ``None`` when every route is reachable: the claim needs no filter.
* ``condition`` writes it as SQL: per channel one ``CASE`` whose branches
  test the prefixes in the router's order, so the first branch that matches
  decides, exactly as ``Router.primary`` does.
"""
from __future__ import annotations

from typing import AbstractSet

from sqlalchemy import ColumnElement, and_, case, false, func, or_, true
from sqlalchemy.sql.expression import ColumnClause

from gateway.messages.routing import PROTOCOL_BY_CHANNEL, Router

# ((channel, ((prefix, reachable), ...)), ...): hashable, so the claim
# statement built from it can be cached.
Reach = tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]

# "+" is the route of every E.164 number and of short codes (routing).
_EVERYTHING = "+"


def reach(router: Router, up: AbstractSet[str]) -> Reach | None:
    """The routes this node can send on, with the carriers in ``up``."""
    channels = []
    for channel in PROTOCOL_BY_CHANNEL:
        branches = tuple((route.prefix, any(name in up for name in router.chain(route.carrier)))
                         for route in router.routes(channel))
        channels.append((channel, branches))
    if all(ok for _channel, branches in channels for _prefix, ok in branches):
        return None
    return tuple(channels)


def _starts_with(to: ColumnClause, prefix: str) -> ColumnElement:
    if prefix == _EVERYTHING:
        return true()
    # substr, not LIKE: a prefix is compared as it is, with no wildcards.
    return func.substr(to, 1, len(prefix)) == prefix


def condition(table, routes: Reach) -> ColumnElement:
    """A WHERE clause on ``table`` (messages) true for reachable messages."""
    clauses = []
    for channel, branches in routes:
        if all(ok for _prefix, ok in branches):
            clauses.append(table.c.channel == channel)
            continue
        whens = [(_starts_with(table.c.to, prefix), true() if ok else false())
                 for prefix, ok in branches]
        clauses.append(and_(table.c.channel == channel, case(*whens, else_=true())))
    # A channel with no protocol has no route: claimed, and failed with 21612.
    clauses.append(table.c.channel.not_in([channel for channel, _branches in routes]))
    return or_(*clauses)
