"""Receipt -> message status and error code (pure, table-driven).

Theory of operation:

* A ``Profile`` maps the canonical stat (``DELIVRD`` ...; the
  ``message_state`` TLV already won over the text in the parser) to an API
  status, and a carrier's ``err:`` values to error codes.  The built-in
  ``DEFAULT_PROFILE`` is documented in ``conf/receipts/default.toml``; the
  other shipped profiles (``gateway.sms.receipts.profiles``) and a carrier's
  ``[carriers.receipts]`` table build on it (``profile_from_override``).
* Status: intermediate notifications (esm_class 0x20) and unknown stats
  stay ``sent``.  ``failed_undelivered_swap`` switches the two final
  failure statuses for carriers that use them the other way round.
* Error code, for failed/undelivered only, first hit wins:
  1. a GSM ``network_error_code`` (type 3): MAP cause -> code, other
     non-zero -> 30008;
  2. a non-zero ``err:`` found in the profile's err table (keys compare
     case-insensitively without leading zeros or ``0x``; an err that can
     only be hex - ``0x1B``, ``A02`` - is also tried as its decimal value);
  3. the stat's default: EXPIRED -> 30003, REJECTD -> 30004, else 30008.
* "Never backwards" is enforced by the store's ``transition``; this module
  only says what the receipt means.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from protocols.smpp.receipt import Receipt, normalize_stat

SENT, DELIVERED, UNDELIVERED, FAILED = "sent", "delivered", "undelivered", "failed"
STATUSES = frozenset({SENT, DELIVERED, UNDELIVERED, FAILED})

ERROR_MESSAGES = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Carrier violation",
    30008: "Unknown error",
    30009: "Missing segment",
    30010: "Message price exceeds max price",
}

DEFAULT_STAT = {
    "DELIVRD": DELIVERED,
    "UNDELIV": UNDELIVERED,
    "EXPIRED": FAILED,  # expired, rejected or deleted by the provider
    "DELETED": FAILED,
    "REJECTD": FAILED,
    "FAILED": FAILED,
    "SYSERR": FAILED,
    "NOCRED": FAILED,
    "ACCEPTD": SENT,
    "ENROUTE": SENT,
    "BUFFRED": SENT,
    "UNKNOWN": SENT,
    "SKIPPED": SENT,
}

# GSM MAP error causes (3GPP TS 29.002) carried in network_error_code.
MAP_CAUSES = {1: 30005, 5: 30005, 9: 30005, 6: 30003, 27: 30003, 31: 30003,
              32: 30003, 11: 30004, 12: 30004, 13: 30004, 21: 30006}
GSM_NETWORK = 3

# Default err: table: most SMSCs put the MAP cause in err:, in decimal.
DEFAULT_ERR = {str(cause): code for cause, code in MAP_CAUSES.items()}

STAT_DEFAULT_ERROR = {"EXPIRED": 30003, "REJECTD": 30004}
OTHER_ERROR = 30008


def err_key(err: str) -> str:
    """Canonical spelling of an err value: lower case, no 0x, no leading 0s."""
    key = err.strip().lower()
    if key.startswith("0x"):
        key = key[2:]
    return key.lstrip("0") or "0"


def err_keys(err: str) -> list[str]:
    """Table keys to try for an err value: as spelled, then, when it can only
    be hex (a ``0x`` prefix or a letter a-f), its decimal value."""
    keys = [err_key(err)]
    raw = err.strip().lower()
    digits = raw[2:] if raw.startswith("0x") else raw
    if digits and set(digits) <= set("0123456789abcdef") and (raw.startswith("0x") or not digits.isdigit()):
        keys.append(str(int(digits, 16)))
    return keys


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    stat: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_STAT)))
    err: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_ERR)))
    failed_undelivered_swap: bool = False


DEFAULT_PROFILE = Profile()


@dataclass(frozen=True)
class Outcome:
    status: str
    error_code: int | None
    error_message: str | None
    stat: str | None  # raw, for the message's carrier_stat
    err: str | None  # raw, for the message's carrier_err

    @property
    def final(self) -> bool:
        return self.status != SENT


class ProfileError(ValueError):
    """A receipts profile or override that cannot be used."""


def _error_code(receipt: Receipt, profile: Profile) -> int:
    net = receipt.network_error
    if net is not None and net.network_type == GSM_NETWORK and net.code:
        return MAP_CAUSES.get(net.code, OTHER_ERROR)
    if receipt.err is not None and err_key(receipt.err) != "0":
        for key in err_keys(receipt.err):
            code = profile.err.get(key)
            if code is not None:
                return code
    return STAT_DEFAULT_ERROR.get(receipt.stat or "", OTHER_ERROR)


def raw_stat(receipt: Receipt) -> str | None:
    """The text's stat as the carrier spelled it, unless a TLV overruled it."""
    if receipt.stat_raw and normalize_stat(receipt.stat_raw) == receipt.stat:
        return receipt.stat_raw
    return receipt.stat


def raw_err(receipt: Receipt) -> str | None:
    if receipt.err is not None:
        return receipt.err
    return str(receipt.network_error) if receipt.network_error else None


def translate(receipt: Receipt, profile: Profile = DEFAULT_PROFILE) -> Outcome:
    status = SENT
    if not receipt.intermediate:
        status = profile.stat.get(receipt.stat or "", SENT)
    if profile.failed_undelivered_swap and status in (FAILED, UNDELIVERED):
        status = UNDELIVERED if status == FAILED else FAILED
    code = _error_code(receipt, profile) if status in (FAILED, UNDELIVERED) else None
    return Outcome(
        status=status,
        error_code=code,
        error_message=ERROR_MESSAGES.get(code) if code else None,
        stat=raw_stat(receipt),
        err=raw_err(receipt),
    )


def _check_status(where: str, value: Any) -> str:
    if value not in STATUSES:
        raise ProfileError(f"{where}: {value!r} is not one of {sorted(STATUSES)}")
    return value


def _check_code(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 10000 <= value <= 99999:
        raise ProfileError(f"{where}: error code must be a 5-digit integer, got {value!r}")
    return value


def profile_from_override(base: Profile, override: Mapping[str, Any], *, name: str | None = None) -> Profile:
    """``base`` with a ``[carriers.receipts]``-style table applied on top."""
    known = {"profile", "extends", "stat", "err", "err_inherit", "failed_undelivered_swap"}
    unknown = set(override) - known
    if unknown:
        raise ProfileError(f"unknown receipts key(s): {', '.join(sorted(unknown))}")
    stat = dict(base.stat)
    for key, value in dict(override.get("stat", {})).items():
        stat[key.strip().upper()] = _check_status(f"stat.{key}", value)
    inherit = override.get("err_inherit", True)
    if not isinstance(inherit, bool):
        raise ProfileError("err_inherit must be true or false")
    err = dict(base.err) if inherit else {}
    for key, value in dict(override.get("err", {})).items():
        err[err_key(str(key))] = _check_code(f"err.{key}", value)
    swap = override.get("failed_undelivered_swap", base.failed_undelivered_swap)
    if not isinstance(swap, bool):
        raise ProfileError("failed_undelivered_swap must be true or false")
    return Profile(
        name=name or base.name,
        stat=MappingProxyType(stat),
        err=MappingProxyType(err),
        failed_undelivered_swap=swap,
    )


DOC_KEYS = frozenset({"source", "description"})  # a profile file's documentation


def load_profiles(text: str) -> dict[str, Profile]:
    """Profiles from one TOML text holding ``[profiles.NAME]`` tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"receipts profiles: {exc}") from None
    tables = data.get("profiles", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ProfileError("receipts profiles: [profiles.NAME] must be tables")
    return resolve_profiles(tables)


def resolve_profiles(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Profile]:
    """Profiles from their tables (name -> table), each over the one it
    ``extends`` (default: "default"; a "default" table extends nothing and
    replaces the built-in one)."""
    profiles: dict[str, Profile] = {"default": DEFAULT_PROFILE}
    pending = {name: {k: v for k, v in table.items() if k not in DOC_KEYS}
               for name, table in tables.items()}
    while pending:
        progressed = False
        for name, table in list(pending.items()):
            parent = table.get("extends", "default" if name != "default" else None)
            if parent is None:
                base = Profile(name=name, stat=MappingProxyType({}), err=MappingProxyType({}))
            elif parent in profiles and parent not in pending:
                base = profiles[parent]
            else:
                continue
            try:
                profiles[name] = profile_from_override(base, table, name=name)
            except ProfileError as exc:
                raise ProfileError(f"profiles.{name}: {exc}") from None
            del pending[name]
            progressed = True
        if not progressed:
            raise ProfileError(f"profiles with unknown or circular 'extends': {sorted(pending)}")
    return profiles


def carrier_profile(profiles: Mapping[str, Profile], override: Mapping[str, Any] | None) -> Profile:
    """The profile of a carrier from its ``[carriers.receipts]`` table.

    The table's ``receipt_timeout`` (seconds, >= 0; ``gateway.sms.receipts.query``)
    is checked here and is not part of the profile."""
    override = dict(override or {})
    timeout = override.pop("receipt_timeout", 0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ProfileError(f"receipt_timeout must be a number of seconds >= 0 (0: off), not {timeout!r}")
    name = override.get("profile", "default")
    if name not in profiles:
        raise ProfileError(f"receipts profile {name!r} is not defined (known: {sorted(profiles)})")
    return profile_from_override(profiles[name], override) if override else profiles[name]
