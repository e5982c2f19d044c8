"""Reassembly rules for concatenated inbound parts."""
from __future__ import annotations

import itertools

from hypothesis import given, settings, strategies as st

from gateway.sms.inbound.reassembly import PartIn, assemble, group_key, is_complete, valid_concat


def test_any_order_gives_the_same_text():
    texts = ["Hello ", "brave ", "new ", "world"]
    for order in itertools.permutations(range(4)):
        result = assemble([PartIn(i + 1, texts[i]) for i in order], 4)
        assert (result.text, result.complete, result.missing) == ("Hello brave new world", True, ())


def test_missing_parts_deliver_what_arrived():
    result = assemble([PartIn(3, "c"), PartIn(1, "a")], 4)
    assert (result.text, result.complete, result.missing) == ("ac", False, (2, 4))


def test_first_copy_of_a_repeated_part_wins_and_bad_seqnos_are_dropped():
    result = assemble([PartIn(1, "a"), PartIn(1, "X"), PartIn(2, "b"), PartIn(9, "Z"), PartIn(0, "Z")], 2)
    assert result.text == "ab" and result.complete


def test_split_surrogate_pair_is_mended():
    emoji = "😀"
    high, low = emoji.encode("utf-16-be", "surrogatepass")[:2], emoji.encode("utf-16-be")[2:]
    left = ("a".encode("utf-16-be") + high).decode("utf-16-be", "surrogatepass")
    right = (low + "b".encode("utf-16-be")).decode("utf-16-be", "surrogatepass")
    assert assemble([PartIn(2, right), PartIn(1, left)], 2).text == "a😀b"


def test_group_keys_separate_references_and_bit_widths():
    assert group_key("+1", "+2", 7, 3) != group_key("+1", "+2", 7, 3, 16)
    assert group_key("+1", "+2", 7, 3) != group_key("+1", "+2", 8, 3)
    assert group_key("+1", "+2", 7, 3) != group_key("+1", "+2", 7, 2)


def test_valid_concat():
    assert valid_concat(2, 1) and valid_concat(255, 255)
    assert not valid_concat(1, 1) and not valid_concat(3, 0) and not valid_concat(3, 4) and not valid_concat(256, 1)


def test_is_complete():
    assert is_complete([3, 1, 2], 3) and not is_complete([1, 3], 3)


@settings(max_examples=100)
@given(st.lists(st.text(min_size=1, max_size=10), min_size=2, max_size=8), st.randoms())
def test_shuffled_parts_round_trip(texts, rnd):
    parts = [PartIn(i + 1, t) for i, t in enumerate(texts)]
    rnd.shuffle(parts)
    assert assemble(parts, len(texts)).text == "".join(texts).encode("utf-16-be", "surrogatepass").decode(
        "utf-16-be", "replace")
