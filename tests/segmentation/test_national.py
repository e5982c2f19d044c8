"""National language shift tables (TS 23.038 annex A) and their selection."""
import pytest

from segmentation import LANGUAGES, SegmentationError, decode, parse_languages, plan
from segmentation.gsm7 import alphabet

TURKISH = "\u015e\u015f\u011e\u011f\u0130\u0131\u00e7"   # Ş ş Ğ ğ İ ı ç
ALL_LATIN = frozenset({"tr", "es", "pt"})


def test_identifiers():
    assert {code: lang.nli for code, lang in LANGUAGES.items()} == {
        "tr": 1, "es": 2, "pt": 3, "bn": 4, "gu": 5, "hi": 6, "kn": 7, "ml": 8, "or": 9,
        "pa": 10, "ta": 11, "te": 12, "ur": 13,
    }
    assert LANGUAGES["es"].locking is None
    assert all(len(lang.locking) == 128 for lang in LANGUAGES.values() if lang.locking)


@pytest.mark.parametrize("code, septet, char", [
    ("hi", 0x00, "\u0901"), ("hi", 0x2C, ","), ("hi", 0x60, "\u0950"), ("kn", 0x24, "\u0ca1"),
    ("ur", 0x00, "\u0627"), ("ta", 0x4F, "\ufffd"), ("tr", 0x04, "\u20ac"), ("tr", 0x07, "\u0131"), ("tr", 0x0B, "\u011e"),
    ("tr", 0x1C, "\u015e"), ("tr", 0x40, "\u0130"), ("tr", 0x60, "\u00e7"),
    ("pt", 0x04, "\u00ea"), ("pt", 0x15, "\u221e"), ("pt", 0x60, "~"), ("pt", 0x7D, "`"),
])
def test_golden_locking_septets(code, septet, char):
    assert LANGUAGES[code].locking[septet] == char


@pytest.mark.parametrize("code, septet, char", [
    ("tr", 0x47, "\u011e"), ("tr", 0x73, "\u015f"), ("es", 0x09, "\u00e7"),
    ("es", 0x61, "\u00e1"), ("pt", 0x7F, "\u00e2"), ("pt", 0x12, "\u03a6"),
])
def test_golden_single_septets(code, septet, char):
    assert LANGUAGES[code].single[septet] == char


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_single_shift_table_has_the_euro_sign_at_0x65(code):
    # Annex A: the euro sign keeps its extension-table code in every language.
    assert LANGUAGES[code].single[0x65] == "\u20ac"


def test_not_used_unless_enabled():
    assert plan(TURKISH, reference=0).encoding == "UCS-2"


def test_turkish_avoids_ucs2_with_the_locking_table():
    result = plan("G\u00fcnayd\u0131n " + TURKISH, reference=0, national=ALL_LATIN)
    assert result.encoding == "GSM-7"
    assert (result.national_locking, result.national_single) == ("tr", None)
    assert result.parts[0].udh == bytes.fromhex("03240101")


def test_spanish_single_shift_avoids_ucs2():
    body = "Canci\u00f3n: \u00e1rbol, cami\u00f3n"
    result = plan(body, reference=0, national=frozenset({"es"}))
    assert result.encoding == "GSM-7"
    assert (result.national_locking, result.national_single) == (None, "es")
    assert result.parts[0].udh == bytes.fromhex("03250102")
    assert result.units == len(body) + 3          # \u00f3, \u00e1, \u00f3 cost 2 each


def test_capacities_shrink_with_national_ies():
    # single part: 160 - ceil(8 * 4 / 7) = 155 septets with one national IE
    assert [p.units for p in plan("\u0131" * 155, reference=0, national=ALL_LATIN).parts] == [155]
    # concatenated, one national IE: 160 - ceil(8 * 9 / 7) = 149
    parts = plan("\u0131" * 156, reference=0, national=ALL_LATIN).parts
    assert [p.units for p in parts] == [149, 7]
    assert parts[0].udh == bytes.fromhex("080003000201240101")
    # both tables: 160 - ceil(8 * 12 / 7) = 146; 16-bit reference: 145
    body = "\u0131" * 146 + "\u00e1" * 10
    parts = plan(body, reference=0, national=ALL_LATIN).parts
    assert [p.text for p in parts][0] == "\u0131" * 146
    parts16 = plan(body, reference=0, national=ALL_LATIN, concat_ref_bits=16).parts
    assert parts16[0].units == 145


def test_national_tables_used_when_they_save_a_segment():
    body = "{}" * 70 + "a" * 30          # 310 default septets -> 3 parts
    plain = plan(body, reference=0)
    assert plain.num_segments == 3
    # Portuguese locking has no braces; nothing saves a segment here.
    assert plan(body, reference=0, national=ALL_LATIN).num_segments == 3
    body = "\u20ac" * 80 + "a" * 10       # 170 default septets -> 2 parts
    turkish = plan(body, reference=0, national=frozenset({"tr"}))
    assert turkish.num_segments == 1 and turkish.national_locking == "tr"


def test_default_kept_when_nothing_is_saved():
    result = plan("Hello {there}", reference=0, national=ALL_LATIN)
    assert (result.national_locking, result.national_single) == (None, None)
    assert result.parts[0].udh == b""


def test_decoder_reads_the_shift_ies():
    result = plan("\u0131\u015f\u00e1" * 60, reference=9, national=ALL_LATIN)
    assert result.encoding == "GSM-7"
    texts = [decode(p.data_coding, p.short_message, udhi=p.esm_class_udhi).text
             for p in result.parts]
    assert "".join(texts) == "\u0131\u015f\u00e1" * 60


def test_hindi_avoids_ucs2():
    body = "\u0928\u092e\u0938\u094d\u0924\u0947, OTP 4821"     # "namaste, OTP 4821"
    assert plan(body, reference=0).encoding == "UCS-2"
    result = plan(body, reference=0, national=frozenset({"hi"}))
    assert result.encoding == "GSM-7"
    assert (result.national_locking, result.national_single) == ("hi", "hi")
    assert result.parts[0].udh == bytes.fromhex("06240106250106")
    assert result.units == len(body) + 3                      # O, T, P from the single table
    assert decode(0, result.parts[0].short_message, udhi=True).text == body


def test_ties_prefer_the_single_table_of_the_locking_language():
    # Any Indic single table holds O, T and P; Hindi's goes with Hindi's locking table.
    body = "\u0928\u092e\u0938\u094d\u0924\u0947, OTP 4821"
    result = plan(body, reference=0, national=frozenset({"hi", "bn"}))
    assert (result.national_locking, result.national_single) == ("hi", "hi")


def test_ucs2_forced_lists_only_characters_no_enabled_table_has():
    result = plan("\u0130stanbul \U0001F600", reference=0, national=frozenset({"tr"}))
    assert result.encoding == "UCS-2" and result.ucs2_chars == ("\U0001F600",)
    # Without the Turkish tables, the dotted capital I forces UCS-2 as well.
    assert plan("\u0130stanbul \U0001F600", reference=0).ucs2_chars == ("\u0130", "\U0001F600")


def test_payload_mode_keeps_the_shift_ies():
    body = "\u0131" * 200
    result = plan(body, reference=0, national=frozenset({"tr"}), mode="payload")
    assert result.num_segments == 2 and len(result.parts) == 1
    part = result.parts[0]
    assert part.udh == bytes.fromhex("03240101") and part.esm_class_udhi
    assert decode(part.data_coding, part.short_message, udhi=True).text == body


def test_undefined_septets_decode_as_replacement_character():
    d = decode(0x00, bytes.fromhex("0324010B") + b"\x00a", udhi=True)   # Tamil locking
    assert d.text == "\ufffda" and d.national_locking == "ta"


def test_any_collection_of_codes_enables_tables_but_a_string_is_refused():
    for national in ({"tr"}, ["tr"], ("tr",)):
        assert plan("\u0131" * 170, reference=0, national=national).national_locking == "tr"
    with pytest.raises(SegmentationError, match="collection"):
        plan("\u0131", reference=0, national="tr")


def test_parse_languages():
    assert parse_languages(" tr, ES ,pt") == ALL_LATIN
    assert parse_languages("") == frozenset()
    with pytest.raises(ValueError, match="xx"):
        parse_languages("tr,xx")


def test_every_table_pair_round_trips():
    for locking in [None] + [c for c, lang in LANGUAGES.items() if lang.locking]:
        for single in [None] + [c for c, lang in LANGUAGES.items() if lang.single]:
            alpha = alphabet(locking, single)
            text = "".join(sorted(alpha.chars))
            assert alpha.decode(alpha.encode(text)) == text, (locking, single)
