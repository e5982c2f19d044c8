"""The declared keys are the reader's keys and the documented keys.

Each key's default, bounds and doc are declared once (gateway.config.fields);
these tests hold the reader, the generated reference and the shipped
``conf/gateway.toml`` to that declaration, so none of them can drift.
"""
from __future__ import annotations

import os
import re
import tomllib
from collections import defaultdict

import pytest

from gateway.config import fields, model as config
from gateway.config.fields import UNSET
from gateway.config.reference import Documented, documented_keys, reference, toml_value

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CONF = os.path.join(ROOT, "conf", "gateway.toml")
# Sub-tables whose keys are names chosen by the operator or another reader:
# [console.users] (operator names) and [carriers.receipts] (receipt profile
# keys, documented with the profiles in conf/receipts/).
FREE_FORM = {"console.users", "carriers.receipts"}
SMPP = '[[carriers]]\nname = "a"\nhost = "h"\nport = 2775\nsystem_id = "gw"\n'
MM7 = '[[carriers]]\nname = "m"\nprotocol = "mm7"\nurl = "http://x"\n'
_HEADER = re.compile(r"^\[\[?([a-z_.]+)\]\]?$")
_KEY = re.compile(r"^([a-z_0-9]+)\s*=\s*(.+)$")


def all_keys() -> list[Documented]:
    return [d for section in config.SECTIONS for d in documented_keys(section)]


def conf_mentions(text: str) -> dict[str, dict[str, list]]:
    """section -> key -> the TOML values written for it, commented-out ones too.

    A commented line counts when it is a table header or ``key = value`` with
    a valid TOML value (prose that happens to hold ``=`` does not parse)."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for line in text.splitlines():
        bare = line.strip().lstrip("#").strip()
        header = _HEADER.match(bare)
        if header:
            section = header[1]
            out[section]  # noqa: B018 - a header alone documents a sub-table
            continue
        key = _KEY.match(bare)
        if key:
            try:
                value = tomllib.loads(f"v = {key[2]}")["v"]
            except tomllib.TOMLDecodeError:
                continue
            out[section][key[1]].append(value)
    return out


def test_every_declared_key_is_in_the_shipped_file_with_its_default():
    with open(CONF, encoding="utf-8") as f:
        mentions = conf_mentions(f.read())
    arrays = {s.name for s in config.SECTIONS if s.array}
    missing, wrong = [], []
    for d in all_keys():
        if d.name not in mentions[d.section] and f"{d.section}.{d.name}" not in mentions:
            missing.append(f"{d.section}.{d.name}")
        elif (d.section not in arrays and not d.words and d.default not in (UNSET, "")
              and d.default not in mentions[d.section][d.name]):
            wrong.append(f"{d.section}.{d.name}: the model's default is {d.default!r}, "
                         f"the file shows {mentions[d.section][d.name]!r}")
    assert not missing, f"keys conf/gateway.toml does not document: {missing}"
    assert not wrong, wrong


def test_every_key_in_the_shipped_file_is_declared():
    with open(CONF, encoding="utf-8") as f:
        mentions = conf_mentions(f.read())
    declared = {(d.section, d.name) for d in all_keys()}
    sub_tables = {f"{d.section}.{d.name}" for d in all_keys()}
    unknown = [f"{section}.{key}" for section, written in mentions.items() if section not in FREE_FORM
               for key in written if (section, key) not in declared]
    unknown += [s for s in mentions if "." in s and s not in sub_tables]
    assert not unknown, f"conf/gateway.toml documents keys the reader does not know: {unknown}"


def test_the_reference_defaults_are_the_readers_defaults():
    text = reference()
    singles = text.split("\n[[", 1)[0]  # the tables before the first array of tables
    documented = config.loads(singles)
    default = config.loads("")
    assert documented.receipts and config.ReceiptSettings.from_mapping(documented.receipts) == \
        config.ReceiptSettings()
    assert documented == config.Config(**{**default.__dict__, "receipts": documented.receipts})


def test_the_reference_names_every_key_and_its_bounds():
    text = reference()
    for d in all_keys():
        assert re.search(rf"^#? ?{d.name} = ", text, re.M), d.name
    assert "binds = 1  # sessions opened to this SMSC [>= 1, <= 64]" in text
    assert "# host = ...  (required)" in text
    assert 'writer = "thread"' in text and "[thread | process]" in text


def _context(section: str) -> tuple[str, str]:
    """A config around one key of *section*, and the key's prefix in errors."""
    if section == "carriers":
        return SMPP, "carriers[0] 'a'"
    if section == "carriers.prices":
        return SMPP + '[carriers.prices]\nprefixes = { "+" = "1" }\n', "carriers[0] 'a'.prices"
    if section == "carriers.size_limits":
        return MM7 + "[carriers.size_limits]\n", "carriers[0] 'm'.size_limits"
    return f"[{section}]\n", section


def _bounded() -> list[tuple[Documented, object, str]]:
    cases = []
    for d in all_keys():
        if d.section in {s.name for s in config.SECTIONS if s.array} - {"carriers"}:
            continue
        if d.key.lo is not None:
            cases.append((d, d.key.lo - 1, f"must be at least {d.key.lo}"))
        if d.key.hi is not None:
            cases.append((d, d.key.hi + 1, f"must be at most {d.key.hi}"))
        if d.key.positive:
            cases.append((d, 0, "must be greater than 0"))
        if d.key.choices is not None and isinstance(d.key.choices[0], str):
            cases.append((d, "no-such-choice", "must be one of"))
    return cases


@pytest.mark.parametrize("d, value, problem", _bounded(), ids=lambda v: getattr(v, "name", None))
def test_each_declared_bound_is_enforced_and_names_the_key(d, value, problem):
    text, prefix = _context(d.section)
    if d.section == "carriers" and d.name in {f.name for f, _ in fields.keys(config.Mm7Settings)} - \
            {f.name for f, _ in fields.keys(config.SmppSettings)}:
        text, prefix = MM7, "carriers[0] 'm'"
    text = "".join(line for line in text.splitlines(True) if not line.startswith(f"{d.name} ="))
    toml = f'"{value}"' if isinstance(value, str) else value
    with pytest.raises(config.ConfigError) as info:
        config.loads(f"{text}{d.name} = {toml}\n", source="gw.toml")
    expected = f"gw.toml: {prefix}.{d.name}: {problem}"
    if d.section == "receipts":  # the receipts reader's own words (gateway.config.service)
        expected = f"gw.toml: receipts: [receipts] {d.name}: must be a positive number of seconds"
    assert str(info.value).startswith(expected), str(info.value)


def test_an_empty_string_is_refused_where_the_default_is_empty_but_a_value_must_not_be():
    with pytest.raises(config.ConfigError, match=r"mm7_namespace: must not be empty"):
        config.loads(MM7 + 'mm7_namespace = ""\n')


def test_toml_value_reads_back_as_tomllib_would():
    assert toml_value(frozenset({"tr", "es"})) == ["es", "tr"]
    assert toml_value(("a", ("b",))) == ["a", ["b"]]
