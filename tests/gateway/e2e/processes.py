"""Helpers for tests that run `carrier-gateway` as a child process, as an
operator does.  Every wait here is on an event — a line of the child's output
or a callback request arriving — signalled through a Condition, never a sleep
between polls; the timeout only bounds a test that has already failed."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Process:
    """A `python -m gateway ...` child whose output lines a thread collects."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", *args], cwd=ROOT,
                                     env=dict(env or os.environ, PYTHONUNBUFFERED="1"),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 20.0, start: int = 0) -> re.Match:
        """The first match of *pattern* in a line from *start* on, waiting for new lines."""
        scanned = start
        with self._changed:
            while True:
                for line in self.lines[scanned:]:
                    match = re.search(pattern, line)
                    if match:
                        return match
                scanned = len(self.lines)
                if self._ended or not self._changed.wait(timeout):
                    raise AssertionError(f"{pattern!r} not seen in:\n{self.output}")

    def banner(self) -> str:
        """The demo's banner: every line up to its "Stop with Ctrl-C" line."""
        self.wait_for(r"Stop with Ctrl-C")
        end = next(i for i, line in enumerate(self.lines) if "Stop with Ctrl-C" in line)
        return "".join(self.lines[:end + 1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)

    @property
    def output(self) -> str:
        return "".join(self.lines)


@dataclass
class Demo:
    """A running demo daemon: its process, API base URL and the demo account."""

    proc: Process
    base: str
    sid: str
    token: str


@contextmanager
def demo_daemon(data_dir) -> Iterator[Demo]:
    """``carrier-gateway run`` (the demo) on a free port with its data in
    *data_dir*; on leaving, SIGTERM, which it must answer by exiting 0."""
    proc = Process("run", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir))
    try:
        banner = proc.banner()
        yield Demo(proc,
                   re.search(r"'(http://127\.0\.0\.1:\d+)/api/2012-04-24/Accounts/", banner).group(1),
                   re.search(r"AccountSid (AC[0-9a-f]{32})", banner).group(1),
                   re.search(r"AuthToken  ([0-9a-f]{32})", banner).group(1))
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=60) == 0
    finally:
        proc.stop()


class CallbackServer:
    """A real HTTP server recording status callbacks (GET query or POST form)."""

    def __init__(self):
        self.received: list[dict] = []
        changed = self._changed = threading.Condition()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def _record(self, query: str):
                with changed:
                    received.append({k: v[-1] for k, v in urllib.parse.parse_qs(query).items()})
                    changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def do_GET(self):
                self._record(urllib.parse.urlsplit(self.path).query)

            def do_POST(self):
                self._record(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"

    def statuses(self, sid: str) -> list[str]:
        return [c["MessageStatus"] for c in self.received if c.get("MessageSid") == sid]

    def wait_status(self, sid: str, wanted, timeout: float = 20.0) -> list[str]:
        """The statuses reported for *sid*, once the last one is in *wanted*."""
        with self._changed:
            while not (self.statuses(sid)[-1:] and self.statuses(sid)[-1] in wanted):
                if not self._changed.wait(timeout):
                    raise AssertionError(f"no {wanted} callback for {sid}: {self.received}")
            return self.statuses(sid)

    def wait_seen(self, sid: str, wanted, timeout: float = 20.0) -> list[str]:
        """The statuses reported for *sid*, once one of them is in *wanted*
        (later ones may follow: a repeat of a request a dead node had sent)."""
        with self._changed:
            while not set(self.statuses(sid)) & set(wanted):
                if not self._changed.wait(timeout):
                    raise AssertionError(f"no {wanted} callback for {sid}: {self.statuses(sid)}")
            return self.statuses(sid)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
