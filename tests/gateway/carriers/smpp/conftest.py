"""Every test here fails if anything logged a traceback it did not expect."""
from __future__ import annotations

import pytest
from twisted.logger import globalLogPublisher


class LoggedFailures(list):
    def __init__(self) -> None:
        super().__init__()
        self.expected: set[type] = set()

    def __call__(self, event: dict) -> None:
        failure = event.get("log_failure")
        if failure is not None and not any(failure.check(t) for t in self.expected):
            self.append(failure)


@pytest.fixture(autouse=True)
def logged_failures():
    failures = LoggedFailures()
    globalLogPublisher.addObserver(failures)
    try:
        yield failures
    finally:
        globalLogPublisher.removeObserver(failures)
    assert not failures, "tracebacks logged: " + "; ".join(
        f.getTraceback() for f in failures)
