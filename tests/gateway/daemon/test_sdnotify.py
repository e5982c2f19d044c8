"""sd_notify datagrams over a real AF_UNIX socket; the watchdog on a Clock."""
from __future__ import annotations

import os
import socket

import pytest
from twisted.internet.task import Clock

from gateway.daemon.sdnotify import Notifier, WatchdogService


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    yield path, sock
    sock.close()


def received(sock) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def test_ready_stopping_status(listener):
    path, sock = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("3 binds up")
    assert notifier.reloading()
    assert notifier.stopping()
    assert received(sock) == ["READY=1\nSTATUS=3 binds up", "RELOADING=1", "STOPPING=1"]
    notifier.close()


def test_without_notify_socket_everything_is_a_no_op():
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.watchdog() is False


def test_abstract_socket_address():
    assert Notifier({"NOTIFY_SOCKET": "@sd/notify"}).address == b"\0sd/notify"
    assert Notifier({"NOTIFY_SOCKET": "vsock:2:1234"}).address is None


def test_watchdog_pings_at_half_the_interval(listener):
    path, sock = listener
    clock = Clock()
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())})
    service = WatchdogService(notifier, clock)
    assert service.interval == 10.0
    service.startService()
    assert received(sock) == ["WATCHDOG=1"]
    clock.advance(9.9)
    assert received(sock) == []
    clock.advance(0.1)
    assert received(sock) == ["WATCHDOG=1"]
    service.stopService()
    assert clock.getDelayedCalls() == []
    notifier.close()


def test_watchdog_meant_for_another_pid_is_ignored(listener):
    path, _ = listener
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"})
    clock = Clock()
    service = WatchdogService(notifier, clock)
    service.startService()
    assert clock.getDelayedCalls() == []
    service.stopService()


def test_send_error_is_logged_not_raised(tmp_path):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert notifier.ready() is False
    notifier.close()
