"""The API's answer while the store cannot write (or read): 503 with
``Retry-After`` and the usual JSON error, instead of a 500.

Rules: a request that met a store fault (``gateway.store.faults.is_fault``:
disk full, read-only, database gone, store stopping) created nothing, so
retrying it is safe; the answer says so and when.  It is not logged per
request: the store logs one line per failing episode.  Once the store
writes again (it probes by itself) the same request gets its 201.
"""
from __future__ import annotations

from gateway.store.faults import is_fault

from gateway.messages.errors import ApiError

RETRY_AFTER_SECONDS = 5
CODE = 20503  # "service unavailable"
MESSAGE = ("The message store cannot accept writes right now (for example, its disk is full); "
           "nothing was created. Retry after {seconds} seconds.")


class Unavailable(ApiError):
    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(503, CODE, MESSAGE.format(seconds=retry_after))
        self.headers = {b"retry-after": str(retry_after).encode()}


def store_unavailable(exc: BaseException) -> ApiError | None:
    """The 503 for ``exc`` when it is a store fault, else None."""
    return Unavailable() if is_fault(exc) else None
