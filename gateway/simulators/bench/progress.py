"""Once-a-second samples of a running ``bench``: the terminal's progress line
and the throughput series of the HTML report.

A :class:`Sampler` reads the runner's counters on the clock it is given; it
never changes the run.  Rates are the difference of two samples over their
interval, so a line shows what happened in the last second, not an average.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Sample:
    t: float          # seconds since the sampler started
    sent: int         # submit_sm written
    answered: int     # submit_sm answered (any status) or given up
    accepted: int     # answered ESME_ROK
    receipts: int     # deliver_sm receipts received


class Sampler:
    """Calls ``runner.snapshot`` every ``interval`` seconds until stopped."""

    def __init__(self, clock: Any, runner: Any, interval: float = 1.0,
                 on_sample: Callable[[Sample, Sample], None] | None = None) -> None:
        self.clock = clock
        self.runner = runner
        self.interval = interval
        self.on_sample = on_sample
        self.samples: list[Sample] = []
        self._t0 = 0.0
        self._call: Any = None

    def start(self) -> None:
        self._t0 = self.clock.seconds()
        self.samples.append(self._take())
        self._call = self.clock.callLater(self.interval, self._tick)

    def stop(self) -> None:
        """Take a last sample and stop; safe to call twice."""
        if self._call is None:
            return
        if self._call.active():
            self._call.cancel()
        self._call = None
        self.samples.append(self._take())

    def _take(self) -> Sample:
        return Sample(self.clock.seconds() - self._t0, *self.runner.snapshot())

    def _tick(self) -> None:
        sample = self._take()
        previous = self.samples[-1]
        self.samples.append(sample)
        if self.on_sample is not None:
            self.on_sample(previous, sample)
        self._call = self.clock.callLater(self.interval, self._tick)


def per_second(previous: Sample, sample: Sample) -> tuple[float, float]:
    """(answered submit_sm/s, receipts/s) between two samples."""
    dt = sample.t - previous.t
    if dt <= 0:
        return 0.0, 0.0
    return ((sample.answered - previous.answered) / dt,
            (sample.receipts - previous.receipts) / dt)


def progress_line(previous: Sample, sample: Sample) -> str:
    rate, receipts_rate = per_second(previous, sample)
    errors = sample.answered - sample.accepted
    return (f"{sample.t:6.1f} s  {rate:9.0f} submit_sm/s  sent {sample.sent}  "
            f"responses {sample.answered}  errors {errors}  "
            f"receipts {sample.receipts} ({receipts_rate:.0f}/s)")
