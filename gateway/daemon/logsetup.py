"""Logging for the daemon: one line per event on stdout, journald-friendly.

Only the entry point calls :func:`start_logging`.  Each event becomes one
line ``LEVEL [namespace] message`` (a traceback, when there is one, is
folded onto the same line with `` | `` separators, so journald keeps the
event whole).  Under systemd (``$JOURNAL_STREAM`` set) the line starts with
the syslog priority ``<N>`` that journald turns into the entry's priority,
and no timestamp (journald adds its own).  Passwords and tokens never
reach a log event: config values hide them in their ``repr``.
"""
from __future__ import annotations

import sys
import time
from typing import IO, Mapping

from twisted.logger import (FilteringLogObserver, LogLevel, LogLevelFilterPredicate,
                            PredicateResult, formatEvent, globalLogBeginner)

_PRIORITY = {LogLevel.debug: 7, LogLevel.info: 6, LogLevel.warn: 4, LogLevel.error: 3,
             LogLevel.critical: 2}
_LEVELS = {"debug": LogLevel.debug, "info": LogLevel.info, "warn": LogLevel.warn,
           "error": LogLevel.error}
# Chatty framework namespaces kept at warn unless debugging.
_QUIET = ("twisted.web.client", "twisted.internet.base", "twisted.web.http",
          "twisted.web.server", "twisted.python.log", "twisted.internet.protocol")


def format_line(event: Mapping, *, journal: bool) -> str:
    level = event.get("log_level", LogLevel.info)
    text = formatEvent(event) if "log_format" in event or "log_text" in event else str(event.get("message", ""))
    failure = event.get("log_failure")
    if failure is not None:
        text = f"{text}: {failure.getErrorMessage()} | " + " | ".join(
            line.strip() for line in failure.getTraceback().splitlines() if line.strip())
    text = text.replace("\r", " ").replace("\n", " | ")
    namespace = event.get("log_namespace", "-")
    if journal:
        return f"<{_PRIORITY.get(level, 6)}>{level.name.upper()} [{namespace}] {text}\n"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event.get("log_time", time.time())))
    return f"{stamp}Z {level.name.upper()} [{namespace}] {text}\n"


class LineObserver:
    def __init__(self, out: IO[str], *, journal: bool):
        self.out = out
        self.journal = journal

    def __call__(self, event: Mapping) -> None:
        try:
            self.out.write(format_line(event, journal=self.journal))
            self.out.flush()
        except Exception:  # a log line must never take the daemon down
            pass


def _not_factory_noise(event: Mapping) -> PredicateResult:
    text = str(event.get("log_format") or "")
    if text.startswith(("Starting factory", "Stopping factory")):
        return PredicateResult.no
    return PredicateResult.maybe


def make_observer(level: str, environ: Mapping[str, str], out: IO[str] | None = None):
    predicate = LogLevelFilterPredicate(defaultLogLevel=_LEVELS.get(level, LogLevel.info))
    if level != "debug":
        for namespace in _QUIET:
            predicate.setLogLevelForNamespace(namespace, LogLevel.warn)
    observer = LineObserver(out or sys.stdout, journal=bool(environ.get("JOURNAL_STREAM")))
    return FilteringLogObserver(observer, [predicate, _not_factory_noise])


def start_logging(level: str, environ: Mapping[str, str]) -> None:
    globalLogBeginner.beginLoggingTo([make_observer(level, environ)], redirectStandardIO=False)
