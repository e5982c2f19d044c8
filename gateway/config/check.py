"""Warnings about a config that is valid but will not do anything useful.

Errors refuse the config (``gateway.config.model``); these only warn, from
``run --check`` (stderr, exit 0) and at the daemon's start (a WARN line):

* no ``[[accounts]]``: the API refuses every request (401);
* no ``[[carriers]]``: accepted messages queue and are never sent.
"""
from __future__ import annotations

from gateway.config.model import Config


def config_warnings(config: Config) -> list[str]:
    out = []
    if not config.accounts:
        out.append("no [[accounts]] configured: the API will refuse every request")
    if not config.carriers:
        out.append("no [[carriers]] configured: messages will be accepted but never sent")
    return out
