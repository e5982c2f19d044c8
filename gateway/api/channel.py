"""The HTTP connection of the API's site: what twisted.web's HTTPChannel does,
except that a request it cannot read is answered in the API's JSON error
shape instead of a bare ``400`` or a closed connection.

Rules:

* A request line over ``MAX_LENGTH`` (16 KiB: a 60 KB filter, a 100 KB URL)
  is ``414`` (code 20414).  twisted.web closed the connection with no answer.
* One header line over ``MAX_LENGTH``, or a head (request line and headers)
  over ``totalHeadersSize`` (64 KiB), is ``431`` (20431).
* Anything else twisted.web finds malformed in a request head is ``400``
  (20400), as JSON.
* After such an answer the connection reads nothing more: it half-closes
  (the client reads the answer, then end of file) and drops what still
  arrives until the client closes, at most ``drain_timeout`` seconds.
  Closing at once with unread bytes in the socket would make the kernel
  reset the connection, and a client could lose the answer.
"""
from __future__ import annotations

from twisted.web.http import HTTPChannel

from gateway.messages.errors import ApiError

URI_TOO_LONG = ApiError(414, 20414, "The request line is longer than 16384 bytes; "
                                    "shorten the URL or its query (filters)")
HEAD_TOO_LARGE = ApiError(431, 20431, "A request header line is longer than 16384 bytes, "
                                      "or the headers together are over 65536 bytes")
MALFORMED = ApiError(400, 20400, "The HTTP request could not be read (malformed request line "
                                 "or headers)")


REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class JsonErrorChannel(HTTPChannel):
    """HTTPChannel answering unreadable request heads as JSON (the module's rules)."""

    totalHeadersSize = 64 * 1024
    drain_timeout = 10.0

    _head_lines = 0  # lines of the current request's head seen so far
    _refused = False

    def lineReceived(self, line):
        self._head_lines += 1
        super().lineReceived(line)
        if self._refused:
            self.clearLineBuffer()  # nothing after a refused head is read

    def allHeadersReceived(self):
        self._head_lines = 0  # the next line is the next request's first
        super().allHeadersReceived()

    def lineLengthExceeded(self, line):
        self._refuse(URI_TOO_LONG if self._head_lines == 0 else HEAD_TOO_LARGE)

    def _respondToBadRequestAndDisconnect(self):
        # twisted.web's answer to every head it cannot read: a bare 400.
        too_large = self._receivedHeaderSize > self.totalHeadersSize
        self._refuse(HEAD_TOO_LARGE if too_large else MALFORMED)

    def dataReceived(self, data):
        if self._refused:
            return  # dropped, and the drain timeout is not pushed back
        super().dataReceived(data)

    def _refuse(self, error: ApiError) -> None:
        if self._refused:
            return
        self._refused = True
        body = error.body()
        reason = REASONS[error.status]
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (error.status, reason, len(body), body))
        self.setTimeout(self.drain_timeout)
        half_close = getattr(self.transport, "loseWriteConnection", None)
        if half_close is not None:
            half_close()
        else:
            self.transport.loseConnection()
