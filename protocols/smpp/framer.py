"""Incremental SMPP framing: bytes in any chunking -> whole PDUs.

The loop has the shape of Twisted's `Int32StringReceiver.dataReceived`, with one
difference: SMPP's command_length counts its own four bytes, so a frame is
`data[offset : offset + command_length]` and includes the header.

A command_length under 16 (the header alone) or over `max_command_length` means
the stream can no longer be split into PDUs. `feed` then returns the frames that
came before the bad length, sets `error` to a fatal RemoteProtocolError carrying
ESME_RINVCMDLEN (and the bad PDU's sequence number when its header is complete),
and every later `feed` returns nothing. The session answers generic_nack and
the connection must be closed.
"""
from __future__ import annotations

from struct import Struct

from .constants import DEFAULT_MAX_COMMAND_LENGTH, HEADER_LENGTH, CommandStatus
from .errors import RemoteProtocolError

_LENGTH = Struct(">I")
_unpack_length = _LENGTH.unpack_from


class Framer:
    def __init__(self, max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH) -> None:
        if max_command_length < HEADER_LENGTH:
            raise ValueError("max_command_length must be at least %d" % HEADER_LENGTH)
        self.max_command_length = max_command_length
        self.error: RemoteProtocolError | None = None
        self._unprocessed = b""

    @property
    def buffered(self) -> int:
        """Bytes received that do not make a whole frame yet."""
        return len(self._unprocessed)

    def take(self, data: bytes) -> bytes:
        """What was buffered plus ``data``, the buffer emptied: ``feed`` back what
        of it is not used up (b"" after a fatal error)."""
        if self.error is not None:
            return b""
        buffered = self._unprocessed
        self._unprocessed = b""
        return buffered + data if buffered else bytes(data)

    def feed(self, data: bytes) -> list[bytes]:
        """Add `data`; return every frame it completes, in order."""
        if self.error is not None:
            return []
        alldata = self._unprocessed + data if self._unprocessed else bytes(data)
        frames: list[bytes] = []
        offset = 0
        available = len(alldata)
        max_length = self.max_command_length
        while available - offset >= 4:
            (length,) = _unpack_length(alldata, offset)
            if length < HEADER_LENGTH or length > max_length:
                self._fail(alldata, offset, length)
                break
            end = offset + length
            if available < end:
                break
            frames.append(alldata[offset:end])
            offset = end
        self._unprocessed = alldata[offset:] if offset else alldata
        return frames

    def _fail(self, data: bytes, offset: int, length: int) -> None:
        sequence_number = 0
        if len(data) - offset >= HEADER_LENGTH:
            sequence_number = _unpack_length(data, offset + 12)[0]
        self.error = RemoteProtocolError(
            "command_length %d outside %d..%d" % (length, HEADER_LENGTH, self.max_command_length),
            CommandStatus.ESME_RINVCMDLEN, sequence_number, fatal=True)
