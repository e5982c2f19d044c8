"""Every config key, its default, bounds and doc, from the model.

``carrier-gateway config reference`` prints :func:`reference`; a test holds
``conf/gateway.toml`` to :func:`documented_keys`, so the shipped, commented
file cannot drift from what the reader does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from gateway.config import fields
from gateway.config.fields import UNSET, Key
from gateway.config.model import SECTIONS, Section

_HEADINGS = {"SmppSettings": 'protocol = "smpp"', "Mm7Settings": 'protocol = "mm7"'}


@dataclass(frozen=True)
class Documented:
    """One key as the reference shows it."""
    section: str
    name: str
    key: Key
    default: Any  # as TOML would hold it; UNSET: required; a str when key.shown is words

    @property
    def words(self) -> bool:
        """The default is described, not a value (it varies, or is unset)."""
        return isinstance(self.key.shown, str) or self.default is None


def documented_keys(section: Section) -> list[Documented]:
    out = []
    for cls in section.classes:
        for f, key in fields.keys(cls):
            default = fields.shown_default(cls, f, key)
            if key.required:
                default = UNSET
            out.append(Documented(section.name, fields.key_name(f, key), key, toml_value(default)))
    return out


def reference() -> str:
    """The reference as a commented TOML file."""
    lines = ["# carrier-gateway: every config key, its default and its bounds.",
             "# Generated from gateway.config by `carrier-gateway config reference`."]
    for section in SECTIONS:
        lines += ["", f"[[{section.name}]]" if section.array else f"[{section.name}]"]
        for cls in section.classes:
            if cls.__name__ in _HEADINGS:
                lines.append(f"# with {_HEADINGS[cls.__name__]}:")
            lines += [_line(d) for d in documented_keys(Section(section.name, (cls,)))]
    return "\n".join(lines) + "\n"


def _line(d: Documented) -> str:
    if d.default is UNSET:
        head = f"# {d.name} = ...  (required)"
    elif d.words:
        head = f"# {d.name} = ...  (default: {d.key.shown or 'unset'})"
    else:
        head = f"{d.name} = {_toml(d.default)}"
    bounds = d.key.bounds()
    return f"{head}  # {d.key.doc}" + (f" [{bounds}]" if bounds else "")


def toml_value(value: Any) -> Any:
    """*value* as tomllib would read it back (tuples and sets as lists)."""
    if isinstance(value, (frozenset, set)):
        return sorted(toml_value(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [toml_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: toml_value(v) for k, v in value.items()}
    return value


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)
