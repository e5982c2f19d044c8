"""``X-Twilio-Signature`` for the requests the gateway makes to customers'
webhooks (status callbacks, inbound ``sms_url``), so that their code can
check them with ``twilio.request_validator.RequestValidator`` (pure).

The rule, as that validator computes it: start from the full URL that is
requested (query string included; no credentials), append every POST
parameter as name then value, names sorted, and for a repeated name its
distinct values sorted; HMAC-SHA1 under the account's auth token; base64.
A GET has no POST parameters: its parameters are in the signed URL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable

HEADER = b"X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> bytes:
    """The header's value for a request to ``url`` with form ``params``."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    text = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest)
