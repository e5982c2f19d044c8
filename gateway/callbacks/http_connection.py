"""One HTTP/1.1 keep-alive connection of the callback client: it writes a
request and parses one answer at a time.

Rules:

* One request at a time (no pipelining); bytes that arrive when nothing
  was asked abort the connection.
* The answer's head ends at the first empty line (at most ``MAX_HEAD``
  bytes); 1xx answers are skipped.  The body is framed by
  ``Transfer-Encoding: chunked``, else ``Content-Length``, else the end of
  the connection (then the connection is not reused); 204, 304 and 1xx have
  none.  At most ``keep`` bytes of the body are kept, the rest is read and
  dropped.  Anything that does not parse fails the request with
  :class:`BadResponse` and aborts the connection.
* After a complete answer the connection goes back to its pool
  (``factory.pool.returned``), reusable unless HTTP/1.0 without keep-alive,
  ``Connection: close``, a body framed by the close, or bytes past the answer.
* A reused connection that closes before the first byte of the answer
  fails with :class:`StaleConnection` (the pool tries once more).
"""
from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol, connectionDone

MAX_HEAD = 64 * 1024
MAX_CHUNK_LINE = 1024
_NO_BODY = (204, 304)


class BadResponse(Exception):
    """The peer's answer is not HTTP/1.x as this client reads it."""


class ConnectionLostEarly(ConnectionError):
    """The connection closed before the answer was complete."""


class StaleConnection(Exception):
    """A reused connection closed before any answer: try a new one."""


class Connection(Protocol):
    """One keep-alive connection; parses one answer per request."""

    def __init__(self):
        self.request: Deferred | None = None
        self.reused = False
        self.closed = False
        self.on_lost: list[Deferred] = []
        self._buf = b""

    def start(self, data: bytes, keep: int, done: Deferred) -> None:
        self.request, self._keep, self._parts, self._kept = done, keep, [], 0
        self._got_bytes, self._state, self._reusable = False, "head", True
        self._buf = b""
        self.transport.write(data)

    # -- bytes in ----------------------------------------------------------
    def dataReceived(self, data: bytes) -> None:
        if self.request is None:  # nothing asked: a broken peer
            self.transport.abortConnection()
            return
        self._got_bytes = True
        self._buf += data
        try:
            while self.request is not None and self._step():
                pass
        except BadResponse as exc:
            self._fail(exc)
            self.transport.abortConnection()

    def _step(self) -> bool:
        """Parse what the buffer holds; True if more may be parsed."""
        state = self._state
        if state == "head":
            return self._head()
        if state == "length":
            take = self._buf[:self._left]
            self._buf = self._buf[len(take):]
            self._body(take)
            self._left -= len(take)
            if self._left == 0:
                self._finish()
            return False
        if state == "chunk-size":
            return self._chunk_size()
        if state == "chunk":
            take = self._buf[:self._left]
            self._buf = self._buf[len(take):]
            self._body(take)
            self._left -= len(take)
            if self._left == 0:
                self._state = "chunk-end"
                return True
            return False
        if state == "chunk-end":
            if len(self._buf) < 2:
                return False
            if self._buf[:2] != b"\r\n":
                raise BadResponse("chunk not followed by CRLF")
            self._buf, self._state = self._buf[2:], "chunk-size"
            return True
        if state == "trailers":
            end = self._buf.find(b"\r\n")
            if end < 0:
                if len(self._buf) > MAX_HEAD:
                    raise BadResponse("trailers too long")
                return False
            line, self._buf = self._buf[:end], self._buf[end + 2:]
            if not line:
                self._finish()
                return False
            return True
        # "close": the body runs to the end of the connection
        self._body(self._buf)
        self._buf = b""
        return False

    def _head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD:
                raise BadResponse("answer head too long")
            return False
        head, self._buf = self._buf[:end], self._buf[end + 4:]
        lines = head.split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code_text = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code_text) != 3 or not code_text.isdigit():
            raise BadResponse(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        code = int(code_text)
        if 100 <= code < 200:
            return True  # an interim answer: the real one follows
        self._code = code
        length = chunked = None
        close = version != b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise BadResponse("header line without a colon")
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                if not value.isdigit() or (length is not None and int(value) != length):
                    raise BadResponse("bad Content-Length")
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"connection":
                tokens = value.lower()
                close = b"close" in tokens or (close and b"keep-alive" not in tokens)
        self._reusable = not close
        if code in _NO_BODY:
            self._finish()
        elif chunked:
            self._state = "chunk-size"
        elif length is not None:
            self._state, self._left = "length", length
            if length == 0:
                self._finish()
        else:
            self._state, self._reusable = "close", False
        return True

    def _chunk_size(self) -> bool:
        end = self._buf.find(b"\r\n")
        if end < 0:
            if len(self._buf) > MAX_CHUNK_LINE:
                raise BadResponse("chunk size line too long")
            return False
        line, self._buf = self._buf[:end], self._buf[end + 2:]
        text = line.split(b";", 1)[0].strip()
        try:
            size = int(text, 16)
        except ValueError:
            raise BadResponse(f"bad chunk size {text[:20]!r}") from None
        if size < 0:
            raise BadResponse("bad chunk size")
        self._state, self._left = ("chunk", size) if size else ("trailers", 0)
        return True

    def _body(self, data: bytes) -> None:
        if self._kept < self._keep and data:
            part = data[:self._keep - self._kept]
            self._parts.append(part)
            self._kept += len(part)

    def _finish(self) -> None:
        done, self.request = self.request, None
        if self._buf:  # bytes after the answer: nothing was asked for them
            self._reusable = False
        self._buf = b""
        self.factory.pool.returned(self, self._reusable)
        done.callback((self._code, b"".join(self._parts)))

    def _fail(self, exc: Exception) -> None:
        done, self.request = self.request, None
        if done is not None:
            done.errback(exc)

    def connectionLost(self, reason=connectionDone) -> None:
        self.closed = True
        self.factory.pool.forget(self)
        if self.request is not None:
            if self._state == "close":  # the end of the connection ends the body
                self._finish_on_close()
            elif self.reused and not self._got_bytes:
                self._fail(StaleConnection())
            else:
                self._fail(ConnectionLostEarly(
                    f"connection closed before the answer was complete ({reason.getErrorMessage()})"))
        waiting, self.on_lost = self.on_lost, []
        for d in waiting:
            d.callback(None)

    def _finish_on_close(self) -> None:
        self._reusable = False
        self._finish()
