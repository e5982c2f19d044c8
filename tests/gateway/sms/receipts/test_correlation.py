"""Match keys and multi-part outcome rules."""
from __future__ import annotations

import uuid

from hypothesis import given, settings, strategies as st

from gateway.sms.receipts.correlation import (PartState, aggregate, exact_key, lookup_keys, match_keys,
                                              missing_outcome, rank_key, stored_keys)


def same(a: str, b: str) -> bool:
    return bool(match_keys(a) & match_keys(b))


def test_hex_and_decimal_of_the_same_number_meet():
    assert same("1F4A", "8010")
    assert same("0x1f4a", "0000008010")
    assert same("ff", "255")


def test_case_and_leading_zeros_ignored():
    assert same("00000ABCdef", "abcDEF")
    assert same("0", "0000")


def test_unbounded_integers():
    big = 2**64 + 12345
    assert same(str(big), format(big, "X"))
    assert same("9" * 60, format(int("9" * 60), "x"))


def test_uuid_spellings():
    u = uuid.uuid4()
    assert same(str(u), str(u).upper())
    assert same(str(u), u.hex)
    assert same(str(u), str(u.int))


def test_different_ids_do_not_meet():
    assert not same("abc", "abd")
    assert not same("17", "18")
    assert not same("msg-1", "msg-2")
    assert match_keys("   \x00") == frozenset()
    assert not same("0x10", "A") and same("0x10", "16")  # 0x says hex: 16, never decimal ten


def test_nul_and_space_padding():
    assert same("123\x00\x00", " 123 ")


def test_keys_fit_the_column():
    assert all(len(k) <= 160 for k in match_keys("f" * 400))


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=2**200), st.integers(0, 12), st.booleans())
def test_any_number_meets_its_other_spelling(n, pad, upper):
    hex_form = format(n, "X" if upper else "x")
    assert same("0" * pad + str(n), hex_form)
    assert same(str(n), "0" * pad + str(n))


@settings(max_examples=200)
@given(st.text(max_size=70))
def test_match_keys_total(text):
    keys = match_keys(text)
    assert all(k.startswith(("s:", "n:")) for k in keys)


def test_exact_key_and_rank():
    assert exact_key("000AB") == "s:ab"
    ranked = sorted([
        rank_key(same_carrier=False, exact=True, waiting=True, segment_id=9),
        rank_key(same_carrier=True, exact=False, waiting=True, segment_id=1),
        rank_key(same_carrier=True, exact=True, waiting=False, segment_id=5),
        rank_key(same_carrier=True, exact=True, waiting=True, segment_id=2),
        rank_key(same_carrier=True, exact=True, waiting=True, segment_id=3),
    ])
    assert ranked[0] == rank_key(same_carrier=True, exact=True, waiting=True, segment_id=3)
    assert ranked[-1][0] is True  # another carrier comes last


def parts(*statuses):
    return [PartState(i + 1, s, 30003 if s in ("undelivered", "failed") else None) for i, s in enumerate(statuses)]


def test_aggregate_delivered_only_when_all_are():
    assert aggregate(parts("delivered", "delivered"), 3) is None
    assert aggregate(parts("delivered", None, "delivered"), 3) is None
    assert aggregate(parts("delivered", "delivered", "delivered"), 3).status == "delivered"
    dup = [PartState(1, "delivered"), PartState(1, "delivered")]
    assert aggregate(dup, 2) is None  # the same part twice is not two parts


def test_aggregate_first_failure_decides():
    states = [PartState(2, "delivered"), PartState(3, "failed", 30004, "Message blocked"),
              PartState(1, "undelivered", 30005, "Unknown destination handset")]
    verdict = aggregate(states, 3)
    assert (verdict.status, verdict.error_code, verdict.error_message) == ("failed", 30004, "Message blocked")


def test_aggregate_fails_before_the_other_parts_report():
    states = [PartState(1, None), PartState(2, "undelivered", 30005, "Unknown destination handset"),
              PartState(3, None)]
    verdict = aggregate(states, 3)
    assert (verdict.status, verdict.error_code) == ("undelivered", 30005)
    assert aggregate([PartState(2, "failed", 30004)], 3).status == "failed"  # parts 1, 3 unknown yet


def test_missing_outcome():
    verdict = missing_outcome()
    assert (verdict.status, verdict.error_code, verdict.error_message) == ("undelivered", 30009, "Missing segment")


def _part(id, key, carrier="a", status=None):
    return {"id": id, "key": key, "carrier": carrier, "status": status}


def test_best_part_prefers_own_carrier_then_exact_spelling_then_waiting_then_newest():
    from gateway.sms.receipts.correlation import best_part, exact_key

    exact = exact_key("10")
    other = "n:a"  # the hex spelling's numeric key
    rows = [_part(1, exact, carrier="b"), _part(2, other, carrier="a")]
    assert best_part(rows, "10", "a")["id"] == 2
    rows = [_part(1, other), _part(2, exact)]
    assert best_part(rows, "10", "a")["id"] == 2
    rows = [_part(3, exact, status="delivered"), _part(2, exact)]
    assert best_part(rows, "10", "a")["id"] == 2
    rows = [_part(2, exact), _part(3, exact)]
    assert best_part(rows, "10", "a")["id"] == 3
    assert best_part([], "10", "a") is None


def test_best_part_keeps_a_receipt_waiting_when_only_another_spelling_of_a_finished_part_matched():
    from gateway.sms.receipts.correlation import best_part, exact_key

    assert best_part([_part(1, "n:a", status="delivered")], "10", "a") is None
    assert best_part([_part(1, "n:a")], "10", "a")["id"] == 1
    assert best_part([_part(1, exact_key("10"), status="delivered")], "10", "a")["id"] == 1


@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["a", "b"]), st.booleans(),
                          st.sampled_from([None, "delivered"])), min_size=1, max_size=6))
def test_best_part_is_one_of_the_rows_or_none(spec):
    from gateway.sms.receipts.correlation import best_part, exact_key

    rows = [_part(i, exact_key("10") if ex else "n:a", carrier=c, status=st_)
            for i, c, ex, st_ in spec]
    best = best_part(rows, "10", "a")
    assert best is None or best in rows


# Spellings of one number as SMSCs write ids, and ids that are not numbers.
def _spelled(n: int, how: int, pad: int) -> str:
    return [str(n), format(n, "x"), format(n, "X"), "0x" + format(n, "x"),
            format(n, "x").zfill(pad + 1), str(n).zfill(pad + 1), " %d\x00" % n,
            str(uuid.UUID(int=n % 2**128)), uuid.UUID(int=n % 2**128).hex][how]


_IDS = st.one_of(
    st.builds(_spelled, st.integers(0, 2**70) | st.integers(0, 300), st.integers(0, 8), st.integers(0, 12)),
    st.text(alphabet="0123456789abcdefxABCDEFX- \x00g", max_size=24),
    st.text(max_size=12),
    st.builds(lambda n: "1" * 150 + format(n, "x"), st.integers(0, 2**40)),  # past KEY_MAX
)


@settings(max_examples=600, deadline=None)
@given(_IDS, _IDS)
def test_stored_and_looked_up_keys_meet_exactly_when_the_match_keys_do(stored, receipt):
    assert bool(stored_keys(stored) & lookup_keys(match_keys(receipt))) == same(stored, receipt)


@given(st.integers(0, 2**64), st.integers(0, 8))
def test_a_hex_id_is_stored_under_fewer_keys(n, pad):
    spelled = format(n, "x").zfill(pad + 1)
    assert stored_keys(spelled) < match_keys(spelled)
    assert "s:" + (spelled.lstrip("0") or "0") in stored_keys(spelled)


def test_the_same_number_in_another_spelling_still_meets_a_stored_hex_id():
    assert stored_keys("0000004e") == {"s:4e"}
    assert stored_keys("00000078") == {"s:78", "n:4e"}
    assert stored_keys("00000078") & lookup_keys(match_keys("120"))  # 0x78 in decimal
    assert stored_keys("0000004e") & lookup_keys(match_keys("78"))  # 0x4e in decimal
    assert not stored_keys("0000004e") & lookup_keys(match_keys("4f"))
