"""Every string a create request carries is checked and normalised before
anything is stored (pure), so that nothing accepted is unable to finish.

Rules:

* A lone surrogate (JSON ``"\\ud800"``) is not text: 400 (21100) naming the
  field.  Stored, it could not be encoded again (in the store, in a PDU, in
  an HTTP request), and the message would never finish.
* Control characters: none in any field (C0, DEL, C1), except tab, CR and
  LF in a message body.
* Text is NFC-normalised (a decomposed ``ü`` and a composed one are the
  same text: stored, searched and segmented alike).  URL fields are not
  normalised: a changed URL names another resource.
* ``media_list`` sent as a JSON string (a form field) is parsed here, with
  the JSON reader's limits, so that its items are checked like the rest.
* Field names are checked too; values that are not strings pass unchanged.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from gateway.messages.errors import malformed
from .requests import parse_json

BODY_FIELDS = frozenset({"body", "Body"})
MEDIA_LIST_FIELDS = frozenset({"media_list", "MediaList"})
_BAD_IN_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _is_url_field(name: str) -> bool:
    lowered = name.lower()
    return "url" in lowered or "callback" in lowered


def check_text(value: str, field: str, *, body: bool = False, url: bool = False) -> str:
    """``value`` NFC-normalised (not for a URL), or a 400 naming ``field``."""
    if value.isascii() and value.isprintable():  # the common case: nothing to refuse or change
        return value
    bad = (_BAD_IN_BODY if body else _BAD).search(value)
    if bad is not None:
        char = bad.group()
        what = ("a lone surrogate, which is not a character"
                if "\ud800" <= char <= "\udfff" else "a control character")
        raise malformed(f"{field}: contains U+{ord(char):04X}, {what}")
    if url or value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


def _clean(value: Any, field: str, *, body: bool, url: bool) -> Any:
    if isinstance(value, str):
        return check_text(value, field, body=body, url=url)
    if isinstance(value, list):
        return [_clean(item, field, body=body, url=url) for item in value]
    if isinstance(value, dict):
        return {check_text(str(k), f"{field}: a name"):
                _clean(v, f"{field}.{k}", body=False, url=url or _is_url_field(str(k)))
                for k, v in value.items()}
    return value


def clean_params(params: Mapping[str, list]) -> dict[str, list]:
    """The request's fields, every string checked and normalised."""
    out: dict[str, list] = {}
    for name, values in params.items():
        check_text(name, "a field name")
        if name in MEDIA_LIST_FIELDS:
            values = [parse_json(v, name) if isinstance(v, str) else v for v in values]
        body, url = name in BODY_FIELDS, _is_url_field(name)
        out[name] = [check_text(v, name, body=body, url=url) if type(v) is str
                     else _clean(v, name, body=body, url=url) for v in values]
    return out
