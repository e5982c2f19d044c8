"""The one-match reading of the standard receipt layout gives exactly what
the general scan gives, for every text it accepts (and near misses fall
back to the scan)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from protocols.smpp.receipt import _STANDARD_RE, _scan_text, parse_text

KEYS = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err")
# Tokens made of key letters and colons (so a key may be glued to a value);
# at most one value is drawn from an alphabet with separators too, so near
# misses (a comma, a space, a NUL, an empty value) occur beside clean texts.
token = st.text(alphabet="abdeistx0179:", min_size=1, max_size=6)
value = st.text(alphabet="abdeistx0179:,; \x00\u00a0", max_size=6)
body = st.text(alphabet="abdeistx:, \x00stat:id:text:", max_size=20)


def standard(values, text):
    return " ".join(f"{key}:{v}" for key, v in zip(KEYS, values)) + " text:" + text


@settings(max_examples=400)
@given(st.lists(token, min_size=7, max_size=7), st.none() | st.tuples(st.integers(0, 6), value), body)
def test_fast_path_equals_scan(values, odd, text):
    if odd is not None:
        values[odd[0]] = odd[1]
    receipt_text = standard(values, text)
    assert parse_text(receipt_text) == _scan_text(receipt_text.replace("\x00", " "))


def test_standard_receipt_takes_the_fast_path():
    text = ("id:1a2b3c4d sub:001 dlvrd:001 submit date:2511271540 done date:2511271541 "
            "stat:DELIVRD err:000 text:Your code stat:UNDELIV")
    assert _STANDARD_RE.match(text) is not None
    assert parse_text(text) == {
        "id": "1a2b3c4d", "sub": "001", "dlvrd": "001", "submit date": "2511271540",
        "done date": "2511271541", "stat": "DELIVRD", "err": "000", "text": "Your code stat:UNDELIV"}


def test_near_misses_fall_back_to_the_scan():
    comma = "id:77, sub:001 dlvrd:001 submit date:1 done date:2 stat:DELIVRD err:000 text:"
    assert _STANDARD_RE.match(comma) is None
    assert parse_text(comma)["id"] == "77"
    assert "text" not in parse_text(comma)
    reordered = "stat:UNDELIV id:9 err:0x1b"
    assert parse_text(reordered) == {"stat": "UNDELIV", "id": "9", "err": "0x1b"}
