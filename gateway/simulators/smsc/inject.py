"""Error injection on submit_sm: the simulator's misbehaviours (a mixin of SmscSimulator).

Applied in the order of ``SimConfig``'s fields: silence, a dropped
connection, an unbind, no answer, then an error status (throttling by rate
or share, a queue-full episode or share, any other error); a submit_sm that
gets none of them is answered (after ``response_delay``) and its receipt
decided, before the response with ``receipt_before_response``.

Uses the simulator's ``config``, ``rng``, ``clock``, counters and answer and
receipt methods.
"""
from __future__ import annotations

from typing import Any

from protocols.smpp.frames import view_of
from protocols.smpp.constants import CommandStatus as St


class ErrorInjection:
    config: Any
    rng: Any
    clock: Any
    submits: int
    responses: Any
    queue_full_since: float | None
    _buckets: dict

    def _misbehave(self, protocol: Any, pdu: Any) -> bool:
        """Apply error injection; True when the submit got its fate here."""
        config, rng = self.config, self.rng
        if config.silent:
            return True
        if config.drop_on_submit and rng.random() < config.drop_on_submit:
            protocol.transport.abortConnection()
            return True
        if config.unbind_on_submit and rng.random() < config.unbind_on_submit:
            protocol.unbind()
            return True
        if config.no_response_ratio and rng.random() < config.no_response_ratio:
            return True
        status = 0
        bucket = self._buckets.get(protocol)
        if bucket is not None and bucket.delay(self.clock.seconds()) > 0:
            status = St.ESME_RTHROTTLED
        elif config.throttle_ratio and rng.random() < config.throttle_ratio:
            status = St.ESME_RTHROTTLED
        elif config.queue_full_for and self._queue_full_episode():
            status = St.ESME_RMSGQFUL
        elif config.queue_full_ratio and rng.random() < config.queue_full_ratio:
            status = St.ESME_RMSGQFUL
        elif config.error_ratio and rng.random() < config.error_ratio:
            status = config.error_status
        if status:
            self.responses[status] += 1
            self._answer(protocol, pdu.response(command_status=status))
            return True
        message_id = self.next_id()
        self.responses[0] += 1
        if config.receipt_before_response and pdu.registered_delivery & 0x03:
            self._receipt(protocol, view_of(pdu), message_id, first=True)
            self.later(max(config.response_delay, 0.01), self._answer_now,
                       protocol, pdu.response(message_id=message_id))
            return True
        self._answer(protocol, pdu.response(message_id=message_id))
        if pdu.registered_delivery & 0x03:
            self._receipt(protocol, view_of(pdu), message_id, after=config.response_delay)
        return True

    def _queue_full_episode(self) -> bool:
        """True while the configured queue-full episode lasts (it comes once)."""
        if self.submits <= self.config.queue_full_after:
            return False
        now = self.clock.seconds()
        if self.queue_full_since is None:
            self.queue_full_since = now
        return now - self.queue_full_since < self.config.queue_full_for
