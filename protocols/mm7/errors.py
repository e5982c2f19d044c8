"""MM7 errors.  Like h11's ``error_status_hint``, every error we raise while
reading a peer's request carries the MM7 status code to answer it with."""
from __future__ import annotations

# TS 23.140 Table 27 (request status codes) — the ones we send.
CLIENT_ERROR = 2000
ADDRESS_ERROR = 2002
MESSAGE_FORMAT_CORRUPT = 2007
SERVER_ERROR = 3000
UNSUPPORTED_VERSION = 4002
UNSUPPORTED_OPERATION = 4003
VALIDATION_ERROR = 4004


class Mm7Error(ValueError):
    """Something an MM7 peer sent that we cannot accept.

    ``status_code`` is the MM7 status to put in the fault we answer with.
    """

    def __init__(self, message: str, status_code: int = CLIENT_ERROR) -> None:
        super().__init__(message)
        self.status_code = status_code


class Mm7ParseError(Mm7Error):
    """Malformed XML or MIME, a DTD, or a body over the size cap."""

    def __init__(self, message: str, status_code: int = MESSAGE_FORMAT_CORRUPT) -> None:
        super().__init__(message, status_code)
