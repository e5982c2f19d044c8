"""The operators' console: ``GET /console`` and its JSON under ``/console/api/``.

* Off unless ``[console] users`` names at least one operator; then the page,
  its static files and the JSON need that operator's credential (a session
  cookie from ``POST /console/login``, or HTTP Basic for scripts such as
  ``carrier-gateway status``).  An account's auth token is never accepted.
* Everything shown is read from objects the daemon already keeps (binds,
  counters, the traffic ring) plus a few indexed queries of the store; the
  page itself is static HTML, CSS and JS shipped as package data.

Modules: ``passwords`` (hashes, sessions), ``traffic`` (the 15-minute ring),
``binds`` (bind rows), ``queries`` (store reads), ``snapshot`` (the periodic
store summary), ``resource`` (the HTTP side).
"""
