"""How long a bind waits before its next connection attempt.

ClientService asks its ``retryPolicy`` for a delay after each failed attempt
(connect refused, bind refused, bind unanswered, connection lost).  The delay
grows exponentially with jitter so that N binds of a carrier do not reconnect
in lock-step.  After a bind refused for bad credentials (ESME_RINVPASWD 0x0E,
ESME_RINVSYSID 0x0F) retrying fast cannot help and may lock the account at
the carrier, so the next delay is at least ``auth_failure_delay``.
"""
from __future__ import annotations

import random
from typing import Callable


class BindRetryPolicy:
    """A ClientService ``retryPolicy`` that knows about credential failures."""

    def __init__(
        self,
        *,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.25,
        auth_failure_delay: float = 120.0,
        random_fn: Callable[[], float] = random.random,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.auth_failure_delay = auth_failure_delay
        self._random = random_fn
        self._auth_failed = False

    def auth_failed(self) -> None:
        """The last bind was refused for bad credentials: wait long next time."""
        self._auth_failed = True

    def __call__(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1`` (ClientService counts from 1)."""
        exponent = max(0, min(attempt - 1, 64))
        delay = min(self.initial * (self.factor ** exponent), self.maximum)
        # Full spread of +/- jitter around the delay: 0.25 gives 0.75x..1.25x.
        delay *= 1.0 + self.jitter * (2.0 * self._random() - 1.0)
        if self._auth_failed:
            self._auth_failed = False
            delay = max(delay, self.auth_failure_delay)
        return delay
