"""``carrier-gateway receipt``: what does the gateway make of a carrier's receipts?

A carrier-onboarding tool.  Reads one JSON object per line on stdin::

    {"short_message": "<text>", "short_message_hex": "<hex, optional, wins>",
     "data_coding": 0, "esm_class": 4,
     "tlvs": {"receipted_message_id": "...", "message_state": 2,
              "network_error_code": "<hex>", "message_payload": "<text>"}}

and writes one JSON object per line::

    {"is_receipt": true, "message_id": "...", "stat": "...", "err": "...",
     "status": "delivered|undelivered|failed|sent|null", "error_code": 30003 | null, ...}

A bad line gets ``{"error": "...", "line": N}`` and processing goes on.
With ``--config FILE --carrier NAME`` the carrier's ``[carriers.receipts]``
override is applied over its profile, read (as the daemon reads it) from the
config's ``[receipts] profiles`` file unless ``--profiles`` names another.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="gateway config (TOML) holding the carrier")
    parser.add_argument("--carrier", metavar="NAME", help="carrier whose receipts override to apply")
    parser.add_argument("--profiles", metavar="FILE",
                        help="receipt profiles file (default: the config's [receipts] profiles, "
                             "else conf/receipts/default.toml)")
    parser.add_argument("--profile", metavar="NAME", help="use this profile (without --config)")


def _encode_text(text: str, data_coding: int) -> bytes:
    if data_coding & 0xEF == 0x08:
        return text.encode("utf-16-be")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _field(obj: dict, name: str, kind: type, default: Any) -> Any:
    value = obj.get(name, default)
    if value is None:
        return default
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{name} must be an integer")
    if kind is str and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if kind is dict and not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    return value


def pdu_fields(obj: Any) -> dict[str, Any]:
    """``parse_receipt`` keyword arguments from one input object."""
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    data_coding = _field(obj, "data_coding", int, 0)
    esm_class = _field(obj, "esm_class", int, 0)
    if not 0 <= data_coding <= 0xFF or not 0 <= esm_class <= 0xFF:
        raise ValueError("data_coding and esm_class must be octets (0..255)")
    hex_text = _field(obj, "short_message_hex", str, None)
    if hex_text is not None:
        try:
            short_message = bytes.fromhex(hex_text)
        except ValueError:
            raise ValueError("short_message_hex is not hex") from None
    else:
        short_message = _encode_text(_field(obj, "short_message", str, ""), data_coding)
    tlvs = dict(_field(obj, "tlvs", dict, {}))
    known = {"receipted_message_id", "message_state", "network_error_code", "message_payload"}
    unknown = set(tlvs) - known
    if unknown:
        raise ValueError(f"unknown tlvs: {', '.join(sorted(unknown))}")
    if isinstance(tlvs.get("message_payload"), str):
        tlvs["message_payload"] = _encode_text(tlvs["message_payload"], data_coding)
    if "message_state" in tlvs:
        state = _field(tlvs, "message_state", int, None)
        if state is not None and not 0 <= state <= 0xFF:
            raise ValueError("message_state must be an octet (0..255)")
    return {"esm_class": esm_class, "data_coding": data_coding, "short_message": short_message, "tlvs": tlvs}


def describe(obj: Any, profile) -> dict[str, Any]:
    from gateway.translator import translate
    from protocols.smpp.receipt import parse_receipt

    receipt = parse_receipt(**pdu_fields(obj))
    if receipt is None:
        return {"is_receipt": False, "message_id": None, "stat": None, "err": None,
                "status": None, "error_code": None}
    outcome = translate(receipt, profile)
    net = receipt.network_error
    return {
        "is_receipt": True,
        "message_id": receipt.message_id,
        "stat": receipt.stat,
        "err": receipt.err,
        "status": outcome.status,
        "error_code": outcome.error_code,
        "error_message": outcome.error_message,
        "kind": receipt.kind.name.lower(),
        "stat_raw": receipt.stat_raw,
        "message_state": receipt.message_state,
        "network_error": {"type": net.network_type, "code": net.code} if net else None,
        "sub": receipt.sub,
        "dlvrd": receipt.dlvrd,
        "submit_date": receipt.submit_date,
        "done_date": receipt.done_date,
        "text": receipt.text,
        "profile": profile.name,
    }


def _carrier_override(path: str, name: str) -> tuple[dict, str | None]:
    """The carrier's ``[carriers.receipts]`` table and the config's
    ``[receipts] profiles`` file (None: the default file)."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None
    table = data.get("receipts", {})
    profiles = table.get("profiles") if isinstance(table, dict) else None
    if profiles is not None and not isinstance(profiles, str):
        raise ValueError(f"{path}: receipts.profiles must be a file name")
    for carrier in data.get("carriers", []):
        if isinstance(carrier, dict) and carrier.get("name") == name:
            receipts = carrier.get("receipts", {})
            if not isinstance(receipts, dict):
                raise ValueError(f"{path}: carriers.receipts of {name!r} must be a table")
            return receipts, profiles
    raise ValueError(f"{path}: no [[carriers]] named {name!r}")


def select_profile(args: argparse.Namespace):
    from gateway.translator import carrier_profile, read_profiles

    if bool(args.config) != bool(args.carrier):
        raise ValueError("--config and --carrier go together")
    if args.config and args.profile:
        raise ValueError("--profile goes without --config (the carrier names its profile)")
    if args.config:
        override, profiles_file = _carrier_override(args.config, args.carrier)
        return carrier_profile(read_profiles(args.profiles or profiles_file), override)
    profiles = read_profiles(args.profiles)
    name = args.profile or "default"
    if name not in profiles:
        raise ValueError(f"receipts profile {name!r} is not defined (known: {sorted(profiles)})")
    return profiles[name]


def run(args: argparse.Namespace) -> int:
    try:
        profile = select_profile(args)
    except ValueError as exc:
        print(f"carrier-gateway receipt: {exc}", file=sys.stderr)
        return 2
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            result = describe(json.loads(line), profile)
        except (ValueError, TypeError) as exc:  # JSONDecodeError and ReceiptError are ValueErrors
            result = {"error": str(exc), "line": number}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0
