"""The error a message request is refused with: the HTTP status, the API's
error code and a message for the API user (pure).

The address and number rules (``gateway.messages.addresses``,
``gateway.messages.numbering``) raise it wherever they run: the API answers
it as ``{"code", "message", "status", "more_info"}`` (``gateway.api.errors``),
and an RCML reply that breaks a rule is skipped with its message logged.
"""
from __future__ import annotations

import json

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self, more_info: str = MORE_INFO) -> bytes:
        return json.dumps({"code": self.code, "message": self.message, "status": self.status,
                           "more_info": more_info.format(code=self.code)}).encode()


def bad_request(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)


def malformed(message: str) -> ApiError:
    return ApiError(400, 21100, message)
