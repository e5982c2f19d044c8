"""systemd's sd_notify protocol, without libsystemd.

One datagram per state change to the AF_UNIX socket named in
``$NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace).
``READY=1`` once the service tree is up, ``WATCHDOG=1`` every half of
``$WATCHDOG_USEC`` while the reactor turns, ``STOPPING=1`` when shutdown
starts.  Without ``$NOTIFY_SOCKET`` (not under systemd) every call is a no-op.
"""
from __future__ import annotations

import os
import socket
from typing import Mapping

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from gateway.common.periodic import Periodic

log = Logger()


class Notifier:
    """Sends sd_notify datagrams; constructed from the environment it is given."""

    def __init__(self, environ: Mapping[str, str]):
        self.address = _address(environ.get("NOTIFY_SOCKET", ""))
        self.watchdog_usec = _watchdog_usec(environ)
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(fields).encode("utf-8"), self.address)
            return True
        except OSError as e:
            log.warn("sd_notify to {address!r} failed: {error}", address=self.address, error=e)
            return False

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *((f"STATUS={status}",) if status else ()))

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class WatchdogService(Service):
    """Pings the watchdog at half of WATCHDOG_USEC for as long as it runs."""

    name = "sd-watchdog"

    def __init__(self, notifier: Notifier, clock: IReactorTime):
        self.notifier = notifier
        self.clock = clock
        self._pings = Periodic(clock, notifier.watchdog, name="sd_notify watchdog")

    @property
    def interval(self) -> float | None:
        usec = self.notifier.watchdog_usec
        return None if not usec else usec / 2 / 1e6

    def startService(self) -> None:
        super().startService()
        interval = self.interval
        if self.notifier.enabled and interval:
            self._pings.start(interval, now=True)

    def stopService(self):
        self._pings.stop()
        return super().stopService()


def _address(value: str) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode("utf-8")
    if value.startswith("/"):
        return value
    return None  # vsock and other transports are not used by this daemon


def _watchdog_usec(environ: Mapping[str, str]) -> int | None:
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = environ.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process
    return usec if usec > 0 else None
