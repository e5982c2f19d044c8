"""Log lines: one per event, syslog priority prefix under journald, tracebacks
folded onto the line, framework noise filtered."""
from __future__ import annotations

import io

from twisted.logger import LogLevel, Logger
from twisted.python.failure import Failure

from gateway.daemon.logsetup import format_line, make_observer


def event(**fields):
    base = {"log_level": LogLevel.info, "log_namespace": "gateway.x", "log_time": 0.0,
            "log_format": "bind {name} up", "name": "a-1"}
    base.update(fields)
    return base


def test_plain_and_journal_lines():
    assert format_line(event(), journal=False) == "1970-01-01T00:00:00Z INFO [gateway.x] bind a-1 up\n"
    assert format_line(event(log_level=LogLevel.error), journal=True) == "<3>ERROR [gateway.x] bind a-1 up\n"


def test_failure_and_newlines_stay_on_one_line():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        failure = Failure()
    line = format_line(event(log_failure=failure, log_format="it failed"), journal=True)
    assert line.count("\n") == 1 and line.startswith("<6>INFO [gateway.x] it failed: boom | second line |")
    assert "ValueError" in line


def test_observer_filters_level_and_factory_noise():
    out = io.StringIO()
    observer = make_observer("warn", {"JOURNAL_STREAM": "8:1"}, out)
    log = Logger(namespace="gateway.t", observer=observer)
    log.info("quiet")
    log.warn("loud {x}", x=1)
    Logger(namespace="some.Factory", observer=make_observer("info", {}, out)).info(
        "Starting factory {factory!r}", factory=object())
    assert out.getvalue() == "<4>WARN [gateway.t] loud 1\n"
