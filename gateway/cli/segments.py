"""``carrier-gateway segments``: show how a body is encoded and billed.

    carrier-gateway segments "text"            readable summary
    carrier-gateway segments --json < lines    one JSON string per input line,
                                               one JSON object per output line

Options mirror a carrier's config: ``--concat-ref 8|16`` and
``--national tr,es,pt``.  In ``--json`` mode every input line gives exactly
one output line; a line that is not a JSON string (or cannot be planned)
gives ``{"error": "...", "line": N}`` and the rest is still processed.
"""
from __future__ import annotations

import argparse
import json
import sys
import unicodedata


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="message body to analyse")
    parser.add_argument("--json", action="store_true",
                        help="read one JSON string per line on stdin, write one JSON object per line")
    parser.add_argument("--concat-ref", type=int, choices=(8, 16), default=8,
                        help="concatenation reference size in bits (default 8)")
    parser.add_argument("--national", default="",
                        help="enable national language tables, e.g. tr,es,pt")
    parser.add_argument("--max-length", type=_positive_int, default=None,
                        help="maximum body length in characters (default 1600)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    from segmentation import DEFAULT_MAX_LENGTH, parse_languages

    try:
        national = parse_languages(args.national)
    except ValueError as exc:
        print(f"carrier-gateway segments: --national: {exc}", file=sys.stderr)
        return 2
    options = {
        "concat_ref_bits": args.concat_ref,
        "national": national,
        "max_length": DEFAULT_MAX_LENGTH if args.max_length is None else args.max_length,
    }
    if args.json:
        if args.text is not None:
            print("carrier-gateway segments: give either TEXT or --json, not both",
                  file=sys.stderr)
            return 2
        return _run_json(sys.stdin.buffer, sys.stdout, options)
    if args.text is None:
        print("carrier-gateway segments: give a TEXT argument, or --json to read stdin",
              file=sys.stderr)
        return 2
    return _run_text(args.text, sys.stdout, options)


def _run_json(stdin, stdout, options) -> int:
    from segmentation import SegmentationError, plan

    for number, raw in enumerate(stdin, 1):
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, str):
                raise ValueError(f"expected a JSON string, got {type(body).__name__}")
            result = plan(body, reference=0, **options)
            obj = {
                "encoding": result.encoding,
                "num_segments": result.num_segments,
                "parts": [part.text for part in result.parts],
                "national": {"locking": result.national_locking,
                             "single": result.national_single},
            }
        except (ValueError, SegmentationError) as exc:   # JSONDecodeError, UnicodeDecodeError too
            obj = {"error": _reason(exc), "line": number}
        except RecursionError:                          # e.g. [[[[... nested beyond the parser
            obj = {"error": "not a JSON string: nested too deeply", "line": number}
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()
    return 0


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"line is not UTF-8 (octet {exc.start})"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at column {exc.colno}"
    return str(exc)


def _run_text(body: str, stdout, options) -> int:
    from segmentation import SegmentationError, plan

    try:
        result = plan(body, reference=0, **options)
    except SegmentationError as exc:
        print(f"carrier-gateway segments: {exc}", file=sys.stderr)
        return 1
    for line in summary_lines(result):
        stdout.write(line + "\n")
    return 0


def summary_lines(result) -> list[str]:
    unit = "septets" if result.encoding == "GSM-7" else "UTF-16 units"
    lines = [
        f"encoding:  {result.encoding} (data_coding 0x{result.data_coding:02X})",
        f"segments:  {result.num_segments}",
        f"length:    {result.units} {unit}",
    ]
    if result.national_locking or result.national_single:
        lines.append(f"national:  locking {result.national_locking or 'default'}, "
                     f"single {result.national_single or 'default'}")
    if result.ucs2_chars:
        lines.append("UCS-2 forced by: " + ", ".join(_describe(c) for c in result.ucs2_chars))
    for part in result.parts:
        udh = f"  UDH {part.udh.hex()}" if part.udh else ""
        lines.append(f"part {part.seqno}/{part.total}: {part.units} {unit}{udh}")
        lines.append(f"    {part.text!r}")
    return lines


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    shown = ch if ch.isprintable() else repr(ch)[1:-1]
    return f"{shown} (U+{ord(ch):04X}{' ' + name if name else ''})"
