"""The daemon's service tree: the rules of its start, stop and reload.

The composition root (``gateway.daemon.root``) adds the children in
dependency order:

    store -> monitor -> API -> carriers (+ deliver handler) -> pipeline -> callbacks

:class:`GatewayService` starts them in that order, each one after the
previous one's start has finished (the store migrates before the API takes a
message; the carriers exist before the pipeline submits), and stops them in
reverse: callbacks stop, the pipeline stops claiming and waits for its
submits, the carriers drain their windows and unbind, the API stops
listening, and last the store commits what is queued and closes.

Stop means stop.  A stop that comes while the tree is starting (SIGTERM
during start-up) lets the child whose start is under way finish starting
(its start cannot be taken back half-way: the store may be migrating),
starts no further child, and then stops the started ones in reverse;
``start()`` then raises :class:`StartAborted`.  So no service starts after
shutdown has begun, and the store never stops under a starting child.

``reload(config)`` (SIGHUP) swaps accounts, numbers and routes in place;
carrier connection settings need a restart (a changed carrier is reported).
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger

from gateway.api.accounts import Accounts
from gateway.messages.numbering import NumberPlan
from gateway.config.model import Config
from gateway.daemon.parts import Parts
from gateway.messages.pricing import PriceBook
from gateway.messages.routing import Router
from gateway.sms.deliver_sm import number_directory
from gateway.sms.inbound.store import apply_rcml_reply

log = Logger()


class StartAborted(Exception):
    """The tree's start gave way to a stop requested while it ran."""


class GatewayService(MultiService):
    """Children start in order (waiting for each) and stop in reverse."""

    def __init__(self, config: Config, parts: Parts | None = None):
        super().__init__()
        self.config = config
        # The carriers as built: a reload compares with what runs, not with
        # the last file read (a change needing a restart is reported until
        # the restart).
        self.built = config
        self.running_carriers = {c.name: c for c in config.carriers}
        self.parts = parts  # the composition root sets it; reload needs it
        self.stop_requested = False
        self._child_starting: list[Deferred] | None = None  # waiters for the child under way

    async def start(self) -> None:
        if self.stop_requested:
            raise StartAborted("stop requested before start")
        Service.startService(self)
        for child in list(self):
            if self.stop_requested:
                raise StartAborted(f"stop requested; {child.name} and later services not started")
            log.info("starting {service}", service=child.name)
            self._child_starting = []
            try:
                await maybeDeferred(child.startService)
            finally:
                waiters, self._child_starting = self._child_starting, None
                for waiter in waiters:
                    waiter.callback(None)
        if self.stop_requested:
            raise StartAborted("stop requested during start")

    async def stop(self) -> None:
        self.stop_requested = True
        if self._child_starting is not None:  # let it finish starting, then stop it
            waiter: Deferred = Deferred()
            self._child_starting.append(waiter)
            await waiter
        Service.stopService(self)
        for child in reversed(list(self)):
            if not child.running:
                continue
            log.info("stopping {service}", service=child.name)
            try:
                await maybeDeferred(child.stopService)
            except Exception:
                log.failure("stopping {service} failed", service=child.name)

    def startService(self):  # twistd-style callers
        return Deferred.fromCoroutine(self.start())

    def stopService(self):
        return Deferred.fromCoroutine(self.stop())

    def reload(self, config: Config) -> list[str]:
        """Apply accounts, numbers and routes from *config*; return warnings."""
        parts = self.parts
        if parts is None:
            raise RuntimeError("reload needs the tree's parts")
        warnings = []
        old = self.running_carriers
        new = {c.name: c for c in config.carriers}
        for name in sorted(set(old) | set(new)):
            if name not in old or name not in new:
                warnings.append(f"carrier {name!r} added or removed: needs a restart")
            elif _connection_settings(old[name]) != _connection_settings(new[name]):
                warnings.append(f"carrier {name!r} connection settings changed: needs a restart")
        for attribute, section in RESTART_SECTIONS:
            if _restart_part(self.built, attribute) != _restart_part(config, attribute):
                warnings.append(f"{section} changed: needs a restart")
        parts.api.set_accounts(Accounts.from_config(config.accounts))
        parts.api.messaging_services = {s.sid: s for s in config.messaging_services}
        parts.api.applications = {a.sid: a for a in config.applications}
        # Digits without '+' resolve against the new numbers and routes, in
        # the API and in RCML replies alike.
        plan = parts.api.number_plan = NumberPlan.from_config(config)
        parts.callbacks.reply_hook = partial(apply_rcml_reply, plan=plan)
        parts.signing_tokens.clear()
        parts.signing_tokens.update((a.sid, a.auth_token) for a in config.accounts)
        numbers = number_directory(config.numbers)
        parts.deliver.numbers = numbers
        if parts.mm7_hooks is not None:
            parts.mm7_hooks.numbers = numbers
        parts.dispatcher.set_router(Router(config.carriers))
        parts.dispatcher.set_prices(PriceBook(config.carriers))
        self.config = config
        return warnings


# What a reload does not apply: (Config attribute, as the file names it).
RESTART_SECTIONS = (("api", "[api]"), ("store", "[store]"), ("pipeline", "[pipeline]"),
                    ("callbacks", "[callbacks]"), ("media", "[media]"), ("receipts", "[receipts]"),
                    ("ops", "[ops]"), ("console", "[console]"), ("cluster", "[cluster]"), ("log_level", "[log] level"))


def _restart_part(config: Config, attribute: str) -> Any:
    """A section less the keys a reload applies ([api] default_country_code)."""
    value = getattr(config, attribute)
    if attribute == "api":
        value = replace(value, default_country_code=None)
    return value


def _connection_settings(carrier) -> tuple:
    return (carrier.protocol, carrier.smpp, carrier.mm7, dict(carrier.receipts))
