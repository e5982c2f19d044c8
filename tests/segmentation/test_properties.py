"""Hypothesis properties of plan() and decode() together."""
from hypothesis import assume, given, strategies as st

from segmentation import LANGUAGES, decode, fill_bits, pack, plan
from segmentation.gsm7 import DEFAULT
from segmentation.national import TURKISH_SINGLE, TURKISH_LOCKING, PORTUGUESE_LOCKING
from segmentation.national_model import UNDEFINED

GSM_CHARS = sorted(DEFAULT.chars)
LATIN_NATIONAL = sorted(
    (set(TURKISH_LOCKING) | set(TURKISH_SINGLE.values()) | set(PORTUGUESE_LOCKING)
     | set(LANGUAGES["es"].single.values())) - {"\x1b"}
)
ALL_NATIONAL = sorted(
    {c for lang in LANGUAGES.values() for c in (lang.locking or "")}
    | {c for lang in LANGUAGES.values() for c in (lang.single or {}).values()}
    - {"\x1b", UNDEFINED}
)
OTHER = ["\U0001F600", "\U0001F44D", "\U0001F3FD", "\u0416", "\u4e2d", "\x00", "\x1b", "\u00e7",
         "\ufffe", "\ufffd"]

gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700)
mixed_text = st.text(
    alphabet=st.one_of(st.sampled_from(GSM_CHARS), st.sampled_from(OTHER), st.characters(codec="utf-8")),
    max_size=400,
)
national_text = st.text(
    alphabet=st.one_of(st.sampled_from(LATIN_NATIONAL), st.sampled_from(GSM_CHARS)),
    max_size=500,
)
any_national_text = st.text(
    alphabet=st.one_of(st.sampled_from(ALL_NATIONAL), st.sampled_from(OTHER)), max_size=500,
)
options = st.fixed_dictionaries({
    "reference": st.integers(0, 70000),
    "concat_ref_bits": st.sampled_from([8, 16]),
})
ALL_LATIN = frozenset({"tr", "es", "pt"})


def decoded_text(result) -> str:
    return "".join(
        decode(part.data_coding, part.short_message, udhi=part.esm_class_udhi).text
        for part in result.parts
    )


def check_invariants(body, result):
    assert result.num_segments == len(result.parts)
    assert "".join(p.text for p in result.parts) == body
    assert decoded_text(result) == body
    for part in result.parts:
        assert part.air_octets <= 140
        assert part.seqno <= part.total == result.num_segments <= 255
        if result.encoding == "GSM-7":
            # a part never starts with the escaped half of a pair
            assert not part.payload.endswith(b"\x1b")
            assert part.units == len(part.payload)
        else:
            assert not 0xDC <= (part.payload[:1] or b"\x00")[0] <= 0xDF
            assert not 0xD8 <= (part.payload[-2:-1] or b"\x00")[0] <= 0xDB
            assert part.units * 2 == len(part.payload)


# Dense in 2-unit characters, so that part boundaries often fall on one.
escape_heavy = st.text(alphabet=st.sampled_from("a{}\u20ac|"), min_size=150, max_size=700)
surrogate_heavy = st.text(alphabet=st.sampled_from("\U0001F600\U0001F44Da\u00e7"),
                          min_size=60, max_size=400)


@given(st.one_of(escape_heavy, surrogate_heavy), options)
def test_pairs_are_never_split(body, kw):
    result = plan(body, **kw)
    check_invariants(body, result)


def greedy_parts(body: str, bits: int) -> list[str]:
    """A character-by-character model of the split: fill each part while the
    next character (1 or 2 septets / UTF-16 units) still fits."""
    if DEFAULT.try_encode(body) is not None:
        cost = {c: 2 if c in DEFAULT.double else 1 for c in body}
        single, multi = 160, {8: 153, 16: 152}[bits]
    else:
        cost = {c: 2 if ord(c) > 0xFFFF else 1 for c in body}
        single, multi = 70, {8: 67, 16: 66}[bits]
    if sum(cost[c] for c in body) <= single:
        return [body]
    parts, current, used = [], "", 0
    for c in body:
        if used + cost[c] > multi:
            parts.append(current)
            current, used = "", 0
        current += c
        used += cost[c]
    return parts + [current]


@given(st.one_of(escape_heavy, surrogate_heavy, mixed_text), options)
def test_parts_are_filled_as_far_as_they_go(body, kw):
    result = plan(body, **kw)
    assert [p.text for p in result.parts] == greedy_parts(body, kw["concat_ref_bits"])


@given(gsm_text, options)
def test_gsm_text_round_trips_in_gsm7(body, kw):
    result = plan(body, **kw)
    assert result.encoding == "GSM-7"
    check_invariants(body, result)


@given(mixed_text, options)
def test_any_text_round_trips(body, kw):
    result = plan(body, **kw)
    check_invariants(body, result)


@given(national_text, options)
def test_text_round_trips_through_national_tables(body, kw):
    result = plan(body, national=ALL_LATIN, **kw)
    check_invariants(body, result)
    default = plan(body, **kw)
    assert result.num_segments <= default.num_segments


@given(any_national_text, options, st.sets(st.sampled_from(sorted(LANGUAGES))))
def test_text_round_trips_with_any_enabled_languages(body, kw, enabled):
    result = plan(body, national=frozenset(enabled), **kw)
    check_invariants(body, result)
    if result.encoding == "GSM-7" and (result.national_locking or result.national_single):
        assert {result.national_locking, result.national_single} - {None} <= enabled
        assert result.num_segments <= ucs2_segments(body, kw["concat_ref_bits"])


def ucs2_segments(body: str, bits: int) -> int:
    units = len(body.encode("utf-16-be")) // 2
    multi = {8: 67, 16: 66}[bits]
    return 1 if units <= 70 else -(-units // multi)


@given(gsm_text, options)
def test_packed_gsm7_round_trips(body, kw):
    result = plan(body, **kw)
    for part in result.parts:
        assume(not part.text.endswith("\r"))   # ambiguous padding (TS 23.038 6.1.2.3.1)
        packed = part.udh + pack(part.payload, fill_bits(len(part.udh)))
        d = decode(0x00, packed, udhi=part.esm_class_udhi, packed=True)
        assert d.text == part.text


@given(mixed_text, options, st.sampled_from(["sar", "payload"]))
def test_sar_and_payload_modes_carry_the_same_text(body, kw, mode):
    result = plan(body, mode=mode, **kw)
    reference = plan(body, **kw)
    assert result.num_segments == reference.num_segments
    assert decoded_text(result) == body
    if mode == "sar":
        assert [p.text for p in result.parts] == [p.text for p in reference.parts]
    else:
        assert len(result.parts) == 1


@given(st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=170), options,
       st.sampled_from(["udh", "sar", "payload"]))
def test_a_one_part_gsm_body_plans_as_the_general_path_does(body, opts, mode):
    """plan() builds a one-part default-alphabet plan directly; it is the plan
    that the general GSM-7 path (``_gsm7``) makes of the same body."""
    from segmentation.planner import _gsm7

    septets = DEFAULT.encode(body)
    assert plan(body, mode=mode, **opts) == _gsm7(body, septets, DEFAULT, opts["reference"],
                                                  opts["concat_ref_bits"], mode)
