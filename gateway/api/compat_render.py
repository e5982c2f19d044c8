"""The Twilio-compatible surface's shapes (pure): the message resource, its
media and the list pages as the official SDKs parse them.

Rules:

* Two bases serve the same surface: ``/2010-04-01/Accounts/{AccountSid}``
  (the ``twilio`` SDKs) and ``/api/laml/2010-04-01/Accounts/{AccountSid}``
  (SignalWire's compatibility base).  A resource's ``uri`` and its
  ``subresource_uris`` use the base it was asked through.
* Addresses are plain (``+14155550100``), whatever API created the message:
  the SMS API's semantics, SMS and MMS alike.
* Dates are RFC 2822; ``api_version`` is ``2010-04-01``; ``price`` is null
  until priced; ``messaging_service_sid`` is the service named at creation.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .render import message_resource, rfc2822

COMPAT_VERSION = "2010-04-01"
BASES = (f"/{COMPAT_VERSION}/Accounts", f"/api/laml/{COMPAT_VERSION}/Accounts")


def messages_path(base: str, account_sid: str) -> str:
    return f"{base}/{account_sid}/Messages"


def compat_message(row: Mapping[str, Any], base: str) -> dict:
    """The message as the compatible surface under ``base`` shows it."""
    shown = message_resource(row, "sms")
    own = f"{messages_path(base, row['account_sid'])}/{row['sid']}"
    shown.update({
        "from": row["from_"], "to": row["to"], "api_version": COMPAT_VERSION,
        "uri": own + ".json", "subresource_uris": {"media": own + "/Media.json"},
    })
    return shown


def compat_media(row: Mapping[str, Any], base: str) -> dict:
    """One media item of a message (``/Messages/{Sid}/Media/{MediaSid}``)."""
    uri = f"{messages_path(base, row['account_sid'])}/{row['message_sid']}/Media/{row['sid']}"
    created = rfc2822(row["created_at"])
    return {
        "sid": row["sid"], "account_sid": row["account_sid"], "parent_sid": row["message_sid"],
        "content_type": row["content_type"], "date_created": created, "date_updated": created,
        "uri": uri + ".json",
    }


def media_page(path: str, items: Sequence[dict]) -> dict:
    """A message's media as one list page (at most 8 items: never more pages)."""
    return {
        "media_list": list(items), "page": 0, "page_size": max(len(items), 1),
        "start": 0, "end": max(len(items), 1) - 1, "uri": path,
        "first_page_uri": path, "previous_page_uri": None, "next_page_uri": None,
    }
