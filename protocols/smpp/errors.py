"""The two error families of the SMPP core, after h11's `_util.py`.

- `RemoteProtocolError`: the peer sent something we cannot accept (bad framing, an
  unknown command_id, a truncated body, a request in the wrong bind state). It
  carries the command_status to answer with (`status`) and the sequence number of
  the offending PDU when it is known (0 otherwise). `fatal` is True when the byte
  stream can no longer be trusted (bad command_length): the session then answers
  with generic_nack and the connection must be closed.
- `LocalProtocolError`: our own caller tried to do something SMPP forbids (submit
  while not bound, a response to a request that never came, a field that does not
  fit). It also carries a status, so an SMSC-role caller may turn it into an answer.

The decoder's invariant: any byte string either decodes or raises
`RemoteProtocolError`; never anything else.
"""
from __future__ import annotations

from .constants import CommandStatus, status_name


class SmppProtocolError(Exception):
    """Base of both families; `status` is the SMPP command_status to answer with."""

    def __init__(self, message: str, status: int = CommandStatus.ESME_RSYSERR,
                 sequence_number: int = 0, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = int(status)
        self.sequence_number = sequence_number
        self.fatal = fatal

    def __str__(self) -> str:
        return "%s (%s)" % (self.message, status_name(self.status))


class RemoteProtocolError(SmppProtocolError):
    """The peer broke the protocol; answer with `status` (generic_nack or a resp)."""


class LocalProtocolError(SmppProtocolError):
    """We (the caller of the codec or session) tried to break the protocol."""


class WindowFull(LocalProtocolError):
    """`Session.send_request` with no room in the window; check `window_available`."""

    def __init__(self, window: int) -> None:
        super().__init__("window of %d outstanding requests is full" % window,
                         CommandStatus.ESME_RTHROTTLED)
        self.window = window
