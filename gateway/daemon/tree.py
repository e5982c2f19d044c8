"""The daemon's service tree, built by one function from the typed config.

    store -> monitor -> API -> carriers (+ deliver handler) -> pipeline -> callbacks

:class:`GatewayService` starts its children in that order, each one after the
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

import os
import random
from typing import Any, Callable, Mapping

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger

from gateway.config.model import Config

log = Logger()


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


class StartAborted(Exception):
    """The tree's start gave way to a stop requested while it ran."""


class GatewayService(MultiService):
    """Children start in order (waiting for each) and stop in reverse."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        # The carriers as built: a reload compares with what runs, not with
        # the last file read (a change needing a restart is reported until
        # the restart).
        self.built = config
        self.running_carriers = {c.name: c for c in config.carriers}
        self.parts: dict[str, Any] = {}  # store, api, dispatcher, carriers, ... by name
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
        from gateway.api.accounts import Accounts
        from gateway.sms.deliver_sm import number_directory
        from gateway.messages.pricing import PriceBook
        from gateway.messages.routing import Router

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
        self.parts["api"].set_accounts(Accounts.from_config(config.accounts))
        self.parts["api"].messaging_services = {s.sid: s for s in config.messaging_services}
        self.parts["api"].applications = {a.sid: a for a in config.applications}
        self._reload_number_plan(config)
        if "signing_tokens" in self.parts:
            self.parts["signing_tokens"].clear()
            self.parts["signing_tokens"].update((a.sid, a.auth_token) for a in config.accounts)
        numbers = number_directory(config.numbers)
        if "deliver" in self.parts:
            self.parts["deliver"].numbers = numbers
        if "mm7_hooks" in self.parts:
            self.parts["mm7_hooks"].numbers = numbers
        self.parts["dispatcher"].set_router(Router(config.carriers))
        self.parts["dispatcher"].set_prices(PriceBook(config.carriers))
        self.config = config
        return warnings

    def _reload_number_plan(self, config: Config) -> None:
        """Digits without '+' resolve against the new numbers and routes."""
        from functools import partial

        from gateway.messages.numbering import NumberPlan
        from gateway.sms.inbound.store import apply_rcml_reply

        plan = NumberPlan.from_config(config)
        self.parts["api"].number_plan = plan
        if "callbacks" in self.parts:
            self.parts["callbacks"].reply_hook = partial(apply_rcml_reply, plan=plan)


# What a reload does not apply: (Config attribute, as the file names it).
RESTART_SECTIONS = (("api", "[api]"), ("store", "[store]"), ("pipeline", "[pipeline]"),
                    ("callbacks", "[callbacks]"), ("media", "[media]"), ("receipts", "[receipts]"),
                    ("ops", "[ops]"), ("console", "[console]"), ("cluster", "[cluster]"), ("log_level", "[log] level"))


def _restart_part(config: Config, attribute: str) -> Any:
    """A section less the keys a reload applies ([api] default_country_code)."""
    value = getattr(config, attribute)
    if attribute == "api":
        from dataclasses import replace

        value = replace(value, default_country_code=None)
    return value


def _connection_settings(carrier) -> tuple:
    return (carrier.protocol, carrier.smpp, carrier.mm7, dict(carrier.receipts))


def build(config: Config, reactor: Any, *, environ: Mapping[str, str] | None = None,
          endpoint_factory: Callable[[Any], Any] | None = None,
          http_client: Any = None, reference_start: int | None = None) -> GatewayService:
    """The whole daemon from *config*; nothing runs until ``start()``."""
    from gateway.daemon.parts import add_parts

    tree = GatewayService(config)
    add_parts(tree, config, reactor, environ=dict(os.environ if environ is None else environ),
              endpoint_factory=endpoint_factory, http_client=http_client,
              reference_start=random.randrange(1 << 16) if reference_start is None else reference_start)
    return tree
