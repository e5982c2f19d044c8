"""``carrier-gateway receipt``: what does the gateway make of a carrier's receipts?

A carrier-onboarding tool.  Reads one JSON object per line on stdin::

    {"short_message": "<text>", "short_message_hex": "<hex, optional, wins>",
     "data_coding": 0, "esm_class": 4,
     "tlvs": {"receipted_message_id": "...", "message_state": 2,
              "network_error_code": "<hex>" | [type, code], "message_payload": "<text>"},
     "tlvs_hex": {"<name or hex tag, e.g. 0423>": "<the raw value in hex>"}}

or ``{"pdu_hex": "<a whole deliver_sm or data_sm, header included>"}``
(what a trace shows; it wins over every other key).  Either way the line
becomes a PDU that ``protocols.smpp.receipt.parse_pdu`` reads, the one
reading the daemon gives what arrives on its binds: a malformed optional
TLV is ignored (and named in ``ignored_tlvs``), not an error.

and writes one JSON object per line::

    {"is_receipt": true, "message_id": "...", "stat": "...", "err": "...",
     "status": "delivered|undelivered|failed|sent|null", "error_code": 30003 | null,
     "ignored_tlvs": ["network_error_code: must be 3 octets, got 1"], ...}

A bad line gets ``{"error": "...", "line": N}`` and processing goes on.
With ``--config FILE --carrier NAME`` the carrier's ``[carriers.receipts]``
override is applied over its profile, read (as the daemon reads it) from the
shipped profiles and the config's ``[receipts] profiles`` unless
``--profiles`` names other ones; ``--profile NAME`` picks one directly.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="gateway config (TOML) holding the carrier")
    parser.add_argument("--carrier", metavar="NAME", help="carrier whose receipts override to apply")
    parser.add_argument("--profiles", metavar="PATH",
                        help="more receipt profiles: a directory of NAME.toml or a [profiles.NAME] "
                             "file, over the shipped ones (default: the config's [receipts] profiles)")
    parser.add_argument("--default-alphabet", choices=("gsm7", "latin1", "ascii"),
                        help="how a data_coding 0 receipt's text: is shown (default: the carrier's "
                             "default_alphabet with --config, else gsm7)")
    parser.add_argument("--profile", metavar="NAME",
                        help="use this profile (without --config): default, restcomm, smppsim, jasmin, "
                             "kannel, npm-smpp, map-hex, swapped, or one of --profiles")


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


_TLV_TAGS = {"receipted_message_id": 0x001E, "message_state": 0x0427,
             "network_error_code": 0x0423, "message_payload": 0x0424}


def _hex(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{name} is not hex") from None


def _raw_tlv(name: str, value: Any, data_coding: int) -> bytes:
    """A TLV of the input's ``tlvs`` object as the octets an SMSC would send."""
    if name == "receipted_message_id":
        return _encode_text(_field({name: value}, name, str, ""), 0) + b"\x00"
    if name == "message_state":
        state = _field({name: value}, name, int, 0)
        if not 0 <= state <= 0xFF:
            raise ValueError("message_state must be an octet (0..255)")
        return bytes((state,))
    if name == "network_error_code":
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
            if not (0 <= value[0] <= 0xFF and 0 <= value[1] <= 0xFFFF):
                raise ValueError("network_error_code [type, code] out of range")
            return bytes((value[0],)) + value[1].to_bytes(2, "big")
        return _hex(value, name)  # as carried: a wrong length is the parser's to judge
    return _encode_text(_field({name: value}, name, str, ""), data_coding)


def _raw_tlvs(obj: dict, data_coding: int) -> tuple[tuple[int, bytes], ...]:
    tlvs = _field(obj, "tlvs", dict, {})
    unknown = set(tlvs) - set(_TLV_TAGS)
    if unknown:
        raise ValueError(f"unknown tlvs: {', '.join(sorted(unknown))}")
    raw = [(_TLV_TAGS[name], _raw_tlv(name, value, data_coding))
           for name, value in tlvs.items() if value is not None]
    for key, value in _field(obj, "tlvs_hex", dict, {}).items():
        tag = _TLV_TAGS.get(key)
        if tag is None:
            try:
                tag = int(key, 16)
            except ValueError:
                tag = -1
            if not 0 <= tag <= 0xFFFF:
                raise ValueError(f"tlvs_hex: {key!r} is neither a TLV name nor a hex tag")
        raw.append((tag, _hex(value, f"tlvs_hex.{key}")))
    return tuple(raw)


def _pdu_from_hex(value: Any):
    from protocols.smpp.codec import decode
    from protocols.smpp.errors import RemoteProtocolError
    from protocols.smpp.pdu import DataSm, DeliverSm

    try:
        pdu = decode(_hex(value, "pdu_hex"))
    except RemoteProtocolError as exc:
        raise ValueError(f"pdu_hex is not one SMPP PDU: {exc}") from None
    if not isinstance(pdu, (DeliverSm, DataSm)):
        raise ValueError(f"pdu_hex is a {type(pdu).__name__}, not a deliver_sm or data_sm")
    return pdu


def pdu_of(obj: Any):
    """The deliver_sm (or data_sm, from ``pdu_hex``) one input line stands for.

    The command reads it with ``protocols.smpp.receipt.parse_pdu``, exactly
    as the daemon reads what arrives on a bind.
    """
    from protocols.smpp.pdu import DeliverSm

    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    if obj.get("pdu_hex") is not None:
        return _pdu_from_hex(obj["pdu_hex"])
    data_coding = _field(obj, "data_coding", int, 0)
    esm_class = _field(obj, "esm_class", int, 0)
    if not 0 <= data_coding <= 0xFF or not 0 <= esm_class <= 0xFF:
        raise ValueError("data_coding and esm_class must be octets (0..255)")
    hex_text = _field(obj, "short_message_hex", str, None)
    if hex_text is not None:
        short_message = _hex(hex_text, "short_message_hex")
    else:
        short_message = _encode_text(_field(obj, "short_message", str, ""), data_coding)
    return DeliverSm(esm_class=esm_class, data_coding=data_coding, short_message=short_message,
                     tlvs=_raw_tlvs(obj, data_coding))


def describe(obj: Any, profile, alphabet: str = "latin1") -> dict[str, Any]:
    return describe_pdu(pdu_of(obj), profile, alphabet)


def describe_pdu(pdu: Any, profile, alphabet: str = "latin1") -> dict[str, Any]:
    """What the gateway makes of one deliver_sm/data_sm (the command's output).

    ``alphabet`` (a carrier's ``default_alphabet``) only changes how the
    ``text`` of a data_coding 0 receipt is shown: the keywords read the same
    in all of them, and the daemon makes no use of a receipt's text."""
    from gateway.sms.receipts.translator import translate
    from protocols.smpp.receipt import parse_pdu

    receipt = parse_pdu(pdu)
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
        "text": _shown_text(receipt.text, pdu.data_coding, alphabet),
        "ignored_tlvs": list(receipt.ignored),
        "profile": profile.name,
    }


def _shown_text(text: str | None, data_coding: int, alphabet: str) -> str | None:
    if text is None or data_coding != 0 or alphabet != "gsm7":
        return text
    from gateway.sms.inbound.mo_text import gsm7_of_octets

    return gsm7_of_octets(text)


def _carrier_override(path: str, name: str) -> tuple[dict, str | None, str]:
    """The carrier's ``[carriers.receipts]`` table, the config's
    ``[receipts] profiles`` (None: only the shipped ones) and the carrier's
    ``default_alphabet``."""
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
            return receipts, profiles, str(carrier.get("default_alphabet", "gsm7"))
    raise ValueError(f"{path}: no [[carriers]] named {name!r}")


def select_profile(args: argparse.Namespace):
    """(the profile, the default_alphabet) the arguments ask for."""
    from gateway.sms.receipts.profiles import read as read_profiles
    from gateway.sms.receipts.translator import carrier_profile

    if bool(args.config) != bool(args.carrier):
        raise ValueError("--config and --carrier go together")
    if args.config and args.profile:
        raise ValueError("--profile goes without --config (the carrier names its profile)")
    alphabet = getattr(args, "default_alphabet", None)
    if args.config:
        override, profiles_file, carrier_alphabet = _carrier_override(args.config, args.carrier)
        profile = carrier_profile(read_profiles(args.profiles or profiles_file), override)
        return profile, alphabet or carrier_alphabet
    profiles = read_profiles(args.profiles)
    name = args.profile or "default"
    if name not in profiles:
        raise ValueError(f"receipts profile {name!r} is not defined (known: {sorted(profiles)})")
    return profiles[name], alphabet or "gsm7"


def run(args: argparse.Namespace) -> int:
    try:
        profile, alphabet = select_profile(args)
    except ValueError as exc:
        print(f"carrier-gateway receipt: {exc}", file=sys.stderr)
        return 2
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            result = describe(json.loads(line), profile, alphabet)
        except (ValueError, TypeError) as exc:  # JSONDecodeError and ReceiptError are ValueErrors
            result = {"error": str(exc), "line": number}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0
