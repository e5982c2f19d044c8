"""Golden planning cases: TS 23.038 / 23.040 boundaries, limits and modes."""
import pytest

from segmentation import SegmentationError, plan

EXTENSION_CHARS = "^{}\\[~]|\u20ac\x0c"
EMOJI = "\U0001F600"


def shape(body, **kw):
    result = plan(body, reference=0x42, **kw)
    return result.encoding, [part.units for part in result.parts]


@pytest.mark.parametrize("body, expected", [
    ("", ("GSM-7", [0])),
    ("a" * 160, ("GSM-7", [160])),
    ("a" * 161, ("GSM-7", [153, 8])),
    ("a" * 306, ("GSM-7", [153, 153])),
    ("a" * 307, ("GSM-7", [153, 153, 1])),
    ("a" * 459, ("GSM-7", [153] * 3)),
    ("a" * 1530, ("GSM-7", [153] * 10)),
    ("\u0394" * 70, ("GSM-7", [70])),
    ("\u00e7" * 70, ("UCS-2", [70])),
    ("\u00e7" * 71, ("UCS-2", [67, 4])),
    ("\u00e7" * 134, ("UCS-2", [67, 67])),
    ("\u00e7" * 135, ("UCS-2", [67, 67, 1])),
    ("\u0416" * 670, ("UCS-2", [67] * 10)),
])
def test_boundaries_with_8_bit_reference(body, expected):
    assert shape(body) == expected


@pytest.mark.parametrize("body, expected", [
    ("a" * 161, ("GSM-7", [152, 9])),
    ("a" * 304, ("GSM-7", [152, 152])),
    ("\u00e7" * 71, ("UCS-2", [66, 5])),
    ("\u00e7" * 132, ("UCS-2", [66, 66])),
])
def test_boundaries_with_16_bit_reference(body, expected):
    assert shape(body, concat_ref_bits=16) == expected


def test_empty_body_is_one_gsm_part():
    result = plan("", reference=1)
    assert result.num_segments == 1
    assert result.parts[0].short_message == b"" and result.parts[0].udh == b""


@pytest.mark.parametrize("char", list(EXTENSION_CHARS))
def test_extension_character_costs_two_septets_at_160(char):
    assert shape("a" * 158 + char) == ("GSM-7", [160])
    assert shape("a" * 159 + char) == ("GSM-7", [153, 8])


@pytest.mark.parametrize("char", list(EXTENSION_CHARS))
def test_escape_pair_is_never_split_at_153(char):
    # The escape would occupy septets 153 and 154: the first part ends at 152.
    result = plan("a" * 152 + char + "b" * 10, reference=1)
    assert [p.units for p in result.parts] == [152, 12]
    assert result.parts[0].text == "a" * 152
    assert result.parts[1].text == char + "b" * 10
    assert result.parts[1].payload.startswith(b"\x1b")


def test_escape_exactly_filling_a_part_stays_whole():
    result = plan("a" * 151 + "\u20ac" + "b" * 10, reference=1)
    assert [p.units for p in result.parts] == [153, 10]


def test_escape_at_the_second_boundary():
    body = "a" * 153 + "a" * 152 + "{" + "z"
    result = plan(body, reference=1)
    assert [p.units for p in result.parts] == [153, 152, 3]
    assert "".join(p.text for p in result.parts) == body


def test_emoji_at_70_and_71():
    assert shape("a" * 68 + EMOJI) == ("UCS-2", [70])
    assert shape("a" * 69 + EMOJI) == ("UCS-2", [67, 4])


def test_surrogate_pair_is_never_split_at_67():
    result = plan("a" * 66 + EMOJI + "b" * 10, reference=1)
    assert [p.units for p in result.parts] == [66, 12]
    assert result.parts[1].text == EMOJI + "b" * 10


def test_udh_golden_bytes_8_and_16_bit():
    parts = plan("a" * 161, reference=0x42).parts
    assert [p.udh for p in parts] == [bytes.fromhex("0500034202" "01"), bytes.fromhex("050003420202")]
    assert all(p.esm_class_udhi for p in parts)
    parts = plan("a" * 161, reference=0x1234, concat_ref_bits=16).parts
    assert parts[0].udh == bytes.fromhex("06080412340201")


def test_reference_is_taken_modulo_its_size():
    assert plan("a" * 161, reference=0x142).parts[0].udh[3] == 0x42
    with pytest.raises(SegmentationError):
        plan("a", reference=-1)


def test_wire_payloads():
    gsm = plan("Hi @\u20ac", reference=0).parts[0]
    assert gsm.data_coding == 0x00 and gsm.short_message == b"Hi \x00\x1b\x65"
    ucs = plan("Hi " + EMOJI, reference=0).parts[0]
    assert ucs.data_coding == 0x08
    assert ucs.short_message == "Hi ".encode("utf-16-be") + bytes.fromhex("D83DDE00")


@pytest.mark.parametrize("char", ["\x1b", "\x00"])
def test_esc_and_nul_are_not_gsm_text(char):
    result = plan("abc" + char, reference=0)
    assert result.encoding == "UCS-2" and result.ucs2_chars == (char,)


def test_ucs2_chars_lists_forcing_characters_in_order():
    result = plan("ok \u00e7a va " + EMOJI + " \u00e7", reference=0)
    assert result.ucs2_chars == ("\u00e7", EMOJI)
    assert plan("plain", reference=0).ucs2_chars == ()


def test_max_length_names_the_limit():
    plan("a" * 1600, reference=0)
    with pytest.raises(SegmentationError, match="1600"):
        plan("a" * 1601, reference=0)
    with pytest.raises(SegmentationError, match="limit is 20"):
        plan("a" * 21, reference=0, max_length=20)


def test_more_than_255_parts_names_the_limit():
    plan("a" * 153 * 255, reference=0, max_length=10**6)
    with pytest.raises(SegmentationError, match="255"):
        plan("a" * (153 * 255 + 1), reference=0, max_length=10**6)
    with pytest.raises(SegmentationError, match="255"):
        plan("\u00e7" * (67 * 255 + 1), reference=0, max_length=10**6)


def test_lone_surrogate_is_refused():
    with pytest.raises(SegmentationError, match="surrogate"):
        plan("a\ud800b", reference=0)


@pytest.mark.parametrize("kw", [{"mode": "smoke"}, {"concat_ref_bits": 12}, {"national": frozenset({"xx"})}])
def test_bad_arguments(kw):
    with pytest.raises(SegmentationError):
        plan("a", reference=0, **kw)


@pytest.mark.parametrize("body", [b"abc", None, 5])
def test_a_body_that_is_not_text_is_a_type_error(body):
    with pytest.raises(TypeError, match="body must be str"):
        plan(body, reference=0)


def test_sar_mode_has_no_udh_and_numbers_the_parts():
    result = plan("a" * 400, reference=0x1234, mode="sar")
    assert result.num_segments == len(result.parts) == 3
    assert [p.sar for p in result.parts] == [(0x1234, 3, 1), (0x1234, 3, 2), (0x1234, 3, 3)]
    assert all(p.udh == b"" and not p.esm_class_udhi for p in result.parts)
    assert [p.units for p in result.parts] == [153, 153, 94]
    assert plan("short", reference=1, mode="sar").parts[0].sar is None


def test_payload_mode_is_one_pdu_billed_by_segments():
    body = "a" * 400 + "\u20ac"
    result = plan(body, reference=0, mode="payload")
    assert len(result.parts) == 1 and result.num_segments == 3
    part = result.parts[0]
    assert part.text == body and part.udh == b"" and part.sar is None
    assert part.payload == b"a" * 400 + b"\x1b\x65"
