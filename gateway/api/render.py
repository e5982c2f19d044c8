"""The message resource and list pages as JSON-ready dicts (pure).

The older SMS API (``/SMS/Messages``) shows SMS only: its list leaves MMS
out, its read of an MMS is a 404 (``shows``), and the ``uri`` of an MMS
created through it points to ``/Messages``, where the message can be read.
"""
from __future__ import annotations

from email.utils import format_datetime
from typing import Any, Mapping

from gateway.store.timeutil import utc

API_VERSION = "2012-04-24"
BASE = f"/api/{API_VERSION}/Accounts"


def rfc2822(value) -> str | None:
    return None if value is None else format_datetime(utc(value))


def collection_path(account_sid: str, api: str) -> str:
    return f"{BASE}/{account_sid}/" + ("SMS/Messages" if api == "sms" else "Messages")


def shows(api: str, row: Mapping[str, Any]) -> bool:
    """Whether the ``api`` endpoint shows this message (the SMS API: SMS only)."""
    return api != "sms" or row["channel"] == "sms"


def show_address(row: Mapping[str, Any], value: str, api: str) -> str:
    return f"{row['channel']}:{value}" if api == "messages" else value


def message_resource(row: Mapping[str, Any], api: str) -> dict:
    """The resource as the ``api`` ("messages" | "sms") endpoint shows it."""
    sid = row["sid"]
    created = rfc2822(row["date_created"])
    return {
        "sid": sid,
        "date_created": created,
        "date_updated": (created if row["date_updated"] == row["date_created"]
                         else rfc2822(row["date_updated"])),
        "date_sent": rfc2822(row["date_sent"]),
        "account_sid": row["account_sid"],
        "from": show_address(row, row["from_"], api),
        "to": show_address(row, row["to"], api),
        "body": row["body"],
        "status": row["status"],
        "direction": row["direction"],
        "api_version": API_VERSION,
        "uri": f"{collection_path(row['account_sid'], api if shows(api, row) else 'messages')}"
               f"/{sid}.json",
        "num_segments": str(row["num_segments"]),
        "num_media": str(row["num_media"]),
        "price": row["price"],
        "price_unit": row["price_unit"] or "USD",
        "error_code": row["error_code"],
        "error_message": row["error_message"],
        "media_list": list(row["media_list"] or []),
        "validity_period": row["validity_period"],
        "max_price": row["max_price"],
        "messaging_service_sid": row.get("messaging_service_sid"),
    }


def media_resource(row: Mapping[str, Any]) -> dict:
    uri = f"{BASE}/{row['account_sid']}/MediaAttachments/{row['sid']}"
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "parent_sid": row["message_sid"],
        "content_type": row["content_type"],
        "filename": row["filename"],
        "size": len(row["data"]),
        "date_created": rfc2822(row["created_at"]),
        "uri": uri + ".json",
        "content_uri": uri,
    }
