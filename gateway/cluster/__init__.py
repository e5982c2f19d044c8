"""Several gateway nodes on one PostgreSQL store.

PostgreSQL is the only coordination engine: row locks with ``FOR UPDATE
SKIP LOCKED`` for claims, a ``nodes`` table with heartbeats for liveness.
SQLite stays the single-node store (a second live node is refused).

* ``nodes``: the lease rules (pure) and the SQL jobs on the ``nodes`` table.
* ``heartbeat``: the service that registers this node, beats, and takes
  over what dead nodes held.
"""
