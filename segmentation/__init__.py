"""Segmentation and encoding core: pure, stdlib only.

Decides how an SMS body goes on the wire (GSM 7-bit with optional national
shift tables, or UCS-2), how it splits into concatenated parts, and how many
segments it costs; and decodes inbound short messages.

    plan(body, reference=..., ...) -> Plan       (see planner.py)
    decode(data_coding, data, ...) -> Decoded    (see decode.py)
"""
from segmentation.decode import Concat, Decoded, decode
from segmentation.errors import DecodeError, SegmentationError
from segmentation.gsm7 import Alphabet, alphabet
from segmentation.model import Part, Plan
from segmentation.national import LANGUAGES, parse_languages
from segmentation.planner import DEFAULT_MAX_LENGTH, plan
from segmentation.septets import fill_bits, pack, unpack

__all__ = [
    "DEFAULT_MAX_LENGTH", "LANGUAGES", "Alphabet", "Concat", "DecodeError", "Decoded",
    "Part", "Plan", "SegmentationError", "alphabet", "decode", "fill_bits", "pack",
    "parse_languages", "plan", "unpack",
]
