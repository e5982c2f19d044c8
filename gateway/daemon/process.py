"""The running daemon: reactor lifecycle, signals, sd_notify, demo carriers.

Only ``carrier-gateway run`` creates a :class:`Daemon`; it is the one place
that touches the global reactor's run/stop and installs signal handlers.

* start: build the tree, ``await tree.start()`` (the store is migrated and
  the API listens), then READY=1.  A start failure (port in use, store
  unreachable) is logged as one line that names the fix
  (``gateway.daemon.start_errors``), and the daemon exits 1.
* SIGHUP: RELOADING=1, re-read the config file, apply accounts, numbers and
  routes (``GatewayService.reload``); a broken file is logged and ignored
  (the running config stays); READY=1.
* SIGTERM/SIGINT: Twisted stops the reactor; our "before shutdown" trigger
  sends STOPPING=1 and waits for the tree's reverse stop (drain, unbind,
  store flush) before the reactor goes.
* Stop means stop: SIGTERM while starting makes the start give way (the
  tree starts no further service, ``GatewayService.stop``; this start checks
  ``stopping`` after every wait), and the shutdown waits for that start to
  settle before it closes the demo simulators.  A start that gave way is no
  failure (exit 0); the reactor is stopped only by whoever stops it first.
"""
from __future__ import annotations

import signal
from typing import Any, Mapping

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.logger import Logger

from gateway.daemon import gctune
from gateway.config.model import Config
from gateway.daemon.root import build
from gateway.daemon.sdnotify import Notifier
from gateway.daemon.tree import StartAborted
from gateway.daemon.start_errors import safe_url

log = Logger()


class Daemon:
    def __init__(self, reactor: Any, environ: Mapping[str, str], *, config: Config | None,
                 config_path: str | None, demo_dir: str = "var",
                 demo_listen: tuple[str, int] = ("127.0.0.1", 8080),
                 listen_override: tuple[str, int] | None = None):
        self.reactor = reactor
        self.environ = dict(environ)
        self.config = config
        self.config_path = config_path
        self.demo_dir = demo_dir
        self.demo_listen = demo_listen
        self.listen_override = listen_override  # run --listen: applies to reloads too
        self.notifier = Notifier(self.environ)
        self.tree = None
        self.exit_code = 0
        self.stopping = False
        self._start_settled: Deferred | None = None  # fires when _start is over, however it ends
        self._simulators: list = []

    def run(self) -> int:
        self.reactor.callWhenRunning(self._begin)
        self.reactor.addSystemEventTrigger("before", "shutdown", self._shutdown)
        self.reactor.run()
        return self.exit_code

    def _begin(self) -> None:
        self._start_settled = Deferred()
        d = ensureDeferred(self._start())
        d.addErrback(self._start_failed)
        d.addBoth(lambda _: self._start_settled.callback(None))

    def _go_on(self) -> None:
        """Called after every wait of the start: a stop meanwhile ends it."""
        if self.stopping:
            raise StartAborted("stop requested during start-up")

    async def _start(self) -> None:
        self._go_on()
        banner = None
        if self.config is None:
            self.config, banner = await self._demo()
            self._go_on()
        cfg = self.config
        log.info("carrier-gateway starting: {accounts} accounts, {carriers} carriers, store {store}",
                 accounts=len(cfg.accounts), carriers=len(cfg.carriers), store=safe_url(cfg.store.url))
        from gateway.config.check import config_warnings

        for warning in config_warnings(cfg):
            log.warn("config: {warning}", warning=warning)
        self.tree = build(cfg, self.reactor, environ=self.environ, notifier=self.notifier)
        await self.tree.start()
        self._go_on()
        gctune.settle()  # everything built so far lives as long as the daemon
        port = self.tree.parts.listen.port
        log.info("API listening on {host}:{port}", host=cfg.api.host, port=port)
        await self._demo_started()
        self._go_on()
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self.reactor.callFromThread(self.reload))
        self.notifier.ready(f"API on {cfg.api.host}:{port}")
        if banner is not None:
            print(banner(port), flush=True)

    def _start_failed(self, failure) -> None:
        from gateway.daemon.start_errors import explain

        if failure.check(StartAborted):
            log.info("start-up stopped: {reason}", reason=failure.getErrorMessage())
            return
        self.exit_code = 1
        reason = explain(failure.value, self.config, self.config_path)
        if reason is None:  # not one we know: the traceback helps a bug report
            log.failure("carrier-gateway could not start", failure)
        else:
            log.error("carrier-gateway could not start: {reason}", reason=reason)
        if not self.stopping:  # else a stop is under way: it ends the reactor
            self.reactor.stop()

    def reload(self) -> None:
        if self.stopping:
            return
        if self.tree is None or self.config_path is None:
            log.info("SIGHUP: nothing to reload (demo mode)")
            return
        from gateway.config import model as c
        from gateway.daemon.parts import receipt_profiles

        self.notifier.reloading()
        try:
            new = c.load(self.config_path)
            receipt_profiles(new)
        except (c.ConfigError, ValueError) as e:
            log.error("SIGHUP: config not reloaded, keeping the running one: {error}", error=str(e))
        else:
            from dataclasses import replace

            if self.listen_override is not None:
                host, port = self.listen_override
                new = replace(new, api=replace(new.api, host=host, port=port))
            for warning in self.tree.reload(new):
                log.warn("SIGHUP: {warning}", warning=warning)
            new = replace(new, api=self.config.api)  # the listening socket stays
            self.config = new
            log.info("SIGHUP: reloaded {accounts} accounts, {numbers} numbers and routes",
                     accounts=len(new.accounts), numbers=len(new.numbers))
        self.notifier.ready()

    def _shutdown(self) -> Deferred | None:
        self.stopping = True
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second signal must not abort the drain
            signal.signal(signum, lambda *_: log.info("already stopping; please wait for the drain"))
        self.notifier.stopping()
        log.info("carrier-gateway stopping: draining and unbinding")
        d = ensureDeferred(self._stop())
        d.addErrback(lambda f: log.failure("shutdown failed", f))
        return d

    async def _stop(self) -> None:
        if self.tree is not None:
            await self.tree.stop()
        if self._start_settled is not None:  # a start under way gives way first
            await self._start_settled
        for sim, port in reversed(self._simulators):
            if sim is not None and hasattr(sim, "stop"):
                sim.stop()
            if port is not None:
                await port.stopListening()
        log.info("carrier-gateway stopped")

    # -- demo ---------------------------------------------------------------
    async def _demo(self):
        import os

        from gateway.daemon import demo

        os.makedirs(self.demo_dir, exist_ok=True)
        host, api_port = self.demo_listen
        smsc, smsc_port = demo.start_smsc(self.reactor)
        self._simulators.append((smsc, smsc_port))
        report_url = f"http://{host}:{api_port}/mm7/demo-mmsc"
        mmsc, mmsc_port = await demo.start_mmsc(self.reactor, report_url)
        self._simulators.append((mmsc, mmsc_port))
        mmsc_url = f"http://127.0.0.1:{mmsc_port.getHost().port}/mm7"
        cfg = demo.demo_config(self.demo_dir, host, api_port, smsc_port.getHost().port, mmsc_url)
        self._mmsc = mmsc

        def banner(port: int) -> str:
            return demo.banner(cfg, f"http://{host}:{port}", smsc_port.getHost().port, mmsc_url)

        return cfg, banner

    async def _demo_started(self) -> None:
        if self.config.source != "<demo>":
            return
        from dataclasses import replace

        from gateway.daemon import demo

        self.tree.parts.api.mount("demo", _DemoFiles(demo.picture_resource()))
        mmsc = getattr(self, "_mmsc", None)
        port = self.tree.parts.listen.port
        if mmsc is not None and hasattr(mmsc, "config"):
            mmsc.config = replace(mmsc.config, report_url=f"http://{self.config.api.host}:{port}/mm7/demo-mmsc")


def _DemoFiles(picture):
    from gateway.api.pages import JsonErrorsDirectory

    root = JsonErrorsDirectory()
    root.putChild(b"picture.png", picture)
    return root
