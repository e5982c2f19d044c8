"""API errors: one exception carrying the HTTP status, the API error code and
a human message; rendered as ``{"code", "message", "status", "more_info"}``.

Codes (README "Messages API errors"):
20003 401 authentication required / failed     21211 400 invalid To
20403 403 another account's resources           21212 400 invalid From
20404 404 not found                             21602 400 body required
20405 405 method not allowed (Allow lists     21617 400 body too long
          the methods; 401 comes first)
20414 414 request line too long
20413 413 request body too large                21620 400 invalid media
21100 400 malformed request or parameter        21623 400 more than 8 media
21603 400 From required                         21609 400 invalid status callback
21604 400 To required                           21624 400 invalid ValidityPeriod
20415 415 body neither a form nor JSON          20500 500 internal error

A 500 says "may be retried" only when that is true (``internal_error``):
the store was unavailable for a moment (stopping, a lock, a lost
connection, a serialisation conflict) and nothing was written.  A failure
that would happen again says so.  Messages speak to API users: no
exception text, no internals.
"""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from gateway.messages.errors import MORE_INFO, ApiError
from gateway.store.faults import StoreClosed


def error_page(request, error: ApiError, more_info: str = MORE_INFO) -> bytes:
    """Set ``request``'s status and headers for ``error``; its JSON body."""
    body = error.body(more_info)
    request.setResponseCode(error.status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"content-length", b"%d" % len(body))
    if error.status == 401:
        request.setHeader(b"www-authenticate", b'Basic realm="carrier-gateway"')
    for name, value in getattr(error, "headers", {}).items():  # e.g. Retry-After on a 503
        request.setHeader(name, value)
    return body


RETRYABLE = "the message store was unavailable for a moment; the request may be retried"
NOT_RETRYABLE = ("internal error: the gateway could not handle this request and logged "
                 "the details for its operators; sending it again will fail the same way")
# SQLSTATE classes and codes that a retry can get past: connection
# exceptions (08), operator intervention (57P: shutdown, cannot connect
# now), serialisation failure and deadlock (40001, 40P01).
_TRANSIENT_SQLSTATES = ("08", "57P", "40001", "40P01")
_TRANSIENT_SQLITE = ("database is locked", "database table is locked", "busy")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (StoreClosed, TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return True
        text = str(exc.orig).lower()
        return type(exc.orig).__module__ == "sqlite3" and any(t in text for t in _TRANSIENT_SQLITE)
    return False


def internal_error(exc: BaseException) -> ApiError:
    """The 500 for an unexpected failure of a request."""
    return ApiError(500, 20500, RETRYABLE if _transient(exc) else NOT_RETRYABLE)


UNAUTHORIZED = ApiError(401, 20003, "Authenticate: HTTP Basic AccountSid:AuthToken is required")
FORBIDDEN = ApiError(403, 20403, "This account may not access another account's resources")
NOT_FOUND = ApiError(404, 20404, "The requested resource was not found")
NOT_ALLOWED = ApiError(405, 20405, "Method not allowed on this resource")
