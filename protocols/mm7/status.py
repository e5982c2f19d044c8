"""MM7 status codes and MMStatus values -> gateway outcomes.  One table each.

SubmitRsp / RSErrorRsp / SOAP Fault (TS 23.140 Table 27 request status codes):

| MM7 StatusCode                                   | result   | API error_code |
|--------------------------------------------------|----------|----------------|
| 1000-1999 (success, partial success)             | sent     | —              |
| any failure whose text complains about size      | failed   | 30019 content size exceeds carrier limit |
| 2002 address error, 2003 address not found, 2007 message format corrupt | failed | 30005 unknown destination |
| 2004 multimedia content refused, 2005 message ID not found | failed | 30007 carrier violation / filtered |
| 3000-3999 server errors, 4006 service unavailable | retry, then failed | 30008 |
| anything else (2xxx, 4xxx, unknown)              | failed   | 30008 unknown error |

DeliveryReportReq MMStatus:

| MMStatus                    | status       | error_code |
|-----------------------------|--------------|------------|
| Retrieved, Forwarded        | delivered    | —          |
| Expired                     | undelivered  | 30003 unreachable destination |
| Rejected                    | undelivered  | 30007 filtered |
| Unrecognised (-ized)        | undelivered  | 30005 unknown destination |
| DeliveryConditionNotMet     | undelivered  | 30008 |
| Deferred, Indeterminate, other | not final (stays sent) | — |
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

SIZE_EXCEEDED = 30019
UNKNOWN_DESTINATION = 30005
FILTERED = 30007
UNREACHABLE = 30003
UNKNOWN_ERROR = 30008

_SIZE_WORDS = re.compile(r"\b(size|too (large|big)|exceed\w*|oversize\w*)\b", re.IGNORECASE)

_CODE_TABLE = {
    2002: UNKNOWN_DESTINATION,
    2003: UNKNOWN_DESTINATION,
    2007: UNKNOWN_DESTINATION,
    2004: FILTERED,
    2005: FILTERED,
}
_RETRYABLE = {4006}


class Verdict(Enum):
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"  # try again later; after the last attempt: failed 30008


@dataclass(frozen=True)
class SubmitVerdict:
    verdict: Verdict
    error_code: int | None = None
    error_message: str | None = None


def submit_verdict(status_code: int | None, text: str | None = None) -> SubmitVerdict:
    if status_code is not None and 1000 <= status_code < 2000:
        return SubmitVerdict(Verdict.SENT)
    described = f"MM7 status {status_code}" + (f": {text}" if text else "")
    if text and _SIZE_WORDS.search(text):
        return SubmitVerdict(Verdict.FAILED, SIZE_EXCEEDED, f"content size exceeds carrier limit ({described})")
    if status_code is not None and (3000 <= status_code < 4000 or status_code in _RETRYABLE):
        return SubmitVerdict(Verdict.RETRY, UNKNOWN_ERROR, described)
    return SubmitVerdict(Verdict.FAILED, _CODE_TABLE.get(status_code, UNKNOWN_ERROR), described)


@dataclass(frozen=True)
class ReportVerdict:
    status: str | None  # "delivered" | "undelivered" | None (not final)
    error_code: int | None = None


_MM_STATUS = {
    "retrieved": ReportVerdict("delivered"),
    "forwarded": ReportVerdict("delivered"),
    "expired": ReportVerdict("undelivered", UNREACHABLE),
    "rejected": ReportVerdict("undelivered", FILTERED),
    "unrecognised": ReportVerdict("undelivered", UNKNOWN_DESTINATION),
    "unrecognized": ReportVerdict("undelivered", UNKNOWN_DESTINATION),
    "deliveryconditionnotmet": ReportVerdict("undelivered", UNKNOWN_ERROR),
    "deferred": ReportVerdict(None),
    "indeterminate": ReportVerdict(None),
}


def report_verdict(mm_status: str | None) -> ReportVerdict:
    key = (mm_status or "").strip().replace(" ", "").replace("_", "").lower()
    return _MM_STATUS.get(key, ReportVerdict(None))
