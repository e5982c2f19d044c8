"""Each config key declared once: its default, its bounds and a one-line doc.

A config section is a frozen dataclass.  A field an operator may write is
declared with :func:`setting`, which keeps the key's bounds and doc in the
field's metadata, beside its default.  From that one declaration:

* :func:`read` reads a TOML table into the section: the type from the
  annotation, the default from the field, the bounds from the metadata, and
  every error names the file and the key (``gateway.config.read.Table``);
* ``gateway.config.reference`` prints every key with its default and bounds.

Keys a section reads by hand (a key that fills two fields, a sub-table) are
declared with ``kind="custom"``: documented here, read by the section.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import MISSING, dataclass
from typing import Any, Iterator

from gateway.config.read import Table

UNSET = MISSING  # the default of a key that the file must give


@dataclass(frozen=True)
class Key:
    """How one key is read and documented (a field's ``metadata["key"]``)."""

    doc: str
    lo: float | None = None
    hi: float | None = None
    positive: bool = False
    choices: tuple[Any, ...] | None = None
    max_len: int | None = None
    nonempty: bool = False
    # The file must give it, though the type has a default (for labs and tests).
    required: bool = False
    # "" = from the annotation; "url", "file" (must exist), "method" (GET or
    # POST, any case); "custom" = the section reads it.
    kind: str = ""
    name: str = ""  # the TOML key, when it is not the field's name
    # When the field's default is not what a reader of the file sees: a
    # function of the section class giving the key's TOML default, or words
    # (the default varies: "the host name").
    shown: Any = None

    def bounds(self) -> str:
        """The bounds in words, for the reference."""
        out = []
        if self.positive:
            out.append("> 0")
        if self.lo is not None:
            out.append(f">= {self.lo}")
        if self.hi is not None:
            out.append(f"<= {self.hi}")
        if self.max_len is not None:
            out.append(f"at most {self.max_len} characters")
        if self.choices is not None:
            out.append(" | ".join(str(c) for c in self.choices))
        if self.nonempty:
            out.append("not empty")
        return ", ".join(out)


def setting(default: Any = UNSET, *, doc: str, factory: Any = MISSING, secret: bool = False,
            **how: Any) -> Any:
    """A dataclass field that an operator may write (see :class:`Key`); a
    secret stays out of the ``repr``, and so out of every log line."""
    return dataclasses.field(default=default, default_factory=factory, repr=not secret,
                             metadata={"key": Key(doc=doc, **how)})


def keys(cls: type) -> Iterator[tuple[dataclasses.Field, Key]]:
    """Each (field, key) of *cls* an operator may write, in declaration order.

    A section that extends a settings type declared elsewhere gives the keys
    of the inherited fields in a ``KEYS`` class attribute (name -> Key).
    """
    inherited = getattr(cls, "KEYS", {})
    for f in dataclasses.fields(cls):
        key = f.metadata.get("key") or inherited.get(f.name)
        if key is not None:
            yield f, key


def key_name(f: dataclasses.Field, key: Key) -> str:
    return key.name or f.name


def default(f: dataclasses.Field) -> Any:
    """The field's default (UNSET when it has none)."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return UNSET


def shown_default(cls: type, f: dataclasses.Field, key: Key) -> Any:
    """The key's default as the file would write it (UNSET: none; a str for
    words when *key.shown* says the default varies)."""
    if key.shown is None:
        return default(f)
    return key.shown(cls) if callable(key.shown) else key.shown


def read(t: Table, cls: type, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every key of *cls* in *t* but the custom ones and the fields in
    *skip*, as keyword arguments."""
    return {f.name: read_key(t, f, key) for f, key in keys(cls)
            if key.kind != "custom" and f.name not in skip}


def read_one(t: Table, cls: type, name: str) -> Any:
    """The key of *cls*'s field *name* in *t*."""
    for f, key in keys(cls):
        if f.name == name:
            return read_key(t, f, key)
    raise KeyError(name)


def read_key(t: Table, f: dataclasses.Field, key: Key) -> Any:
    name = key_name(f, key)
    fallback = UNSET if key.required else default(f)
    kind = key.kind or str(f.type).removesuffix(" | None")
    if kind == "str":
        return t.string(name, fallback, max_len=key.max_len, choices=key.choices,
                        nonempty=key.nonempty)
    if kind == "int":
        return t.integer(name, fallback, lo=key.lo, hi=key.hi)
    if kind == "float":
        return t.number(name, fallback, lo=key.lo, hi=key.hi, positive=key.positive)
    if kind == "bool":
        return t.boolean(name, fallback)
    if kind == "tuple[str, ...]":
        return t.strings(name, fallback)
    if kind == "url":
        return t.url(name, fallback)
    if kind == "method":
        return _method(t, name, fallback)
    if kind == "file":
        return _readable(t, name, fallback)
    raise TypeError(f"{f.name}: no reader for {kind!r}")  # a declaration bug, not a config error


def _method(t: Table, name: str, fallback: str) -> str:
    method = t.string(name, fallback).upper()
    if method not in ("GET", "POST"):
        raise t.error(name, f"must be GET or POST, got {method!r}")
    return method


def _readable(t: Table, name: str, fallback: Any) -> str | None:
    path = t.string(name, fallback, nonempty=True)
    if path is not None and not os.path.isfile(path):
        raise t.error(name, f"no such file: {path!r}")
    return path
