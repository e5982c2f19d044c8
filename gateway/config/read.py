"""Checked reading of one TOML table: every error names file, key and problem.

A :class:`Table` wraps a dict and a dotted prefix (``carriers[1] "att"``).
Each getter checks the type and range of one key and records it as used;
:meth:`Table.finish` then refuses any key nobody asked for (a typo).
"""
from __future__ import annotations

import re
from dataclasses import MISSING
from typing import Any, Iterable, Mapping

_MISSING = MISSING  # no default: the key is required (as for a dataclass field)
_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d{1,5})$")


class ConfigError(ValueError):
    """A configuration problem; ``str()`` names the file, the key and the problem."""


class Table:
    def __init__(self, data: Mapping[str, Any], source: str, prefix: str):
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: {prefix or 'top level'}: must be a table")
        self.data = data
        self.source = source
        self.prefix = prefix
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str | None, problem: str) -> ConfigError:
        where = self.key(name) if name else (self.prefix or "top level")
        return ConfigError(f"{self.source}: {where}: {problem}")

    def _get(self, name: str, default: Any) -> Any:
        self._used.add(name)
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.error(name, "is required")
            return default
        return value

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, default: Any = _MISSING, *, max_len: int | None = None,
               choices: Iterable[str] | None = None, nonempty: bool = False) -> Any:
        value = self._get(name, default)
        if name not in self.data:
            return value
        if not isinstance(value, str):
            raise self.error(name, f"must be a string, got {_kind(value)}")
        if nonempty and not value.strip():
            raise self.error(name, "must not be empty")
        if max_len is not None and len(value) > max_len:
            raise self.error(name, f"must be at most {max_len} characters, got {len(value)}")
        if choices is not None:
            options = tuple(choices)
            if value not in options:
                raise self.error(name, f"must be one of {', '.join(repr(c) for c in options)}, got {value!r}")
        return value

    def integer(self, name: str, default: Any = _MISSING, *, lo: int | None = None,
                hi: int | None = None) -> Any:
        value = self._get(name, default)
        if name not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"must be an integer, got {_kind(value)}")
        _check_range(self, name, value, lo, hi)
        return value

    def number(self, name: str, default: Any = _MISSING, *, lo: float | None = None,
               hi: float | None = None, positive: bool = False) -> Any:
        value = self._get(name, default)
        if name not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"must be a number, got {_kind(value)}")
        if positive and not value > 0:
            raise self.error(name, f"must be greater than 0, got {value}")
        _check_range(self, name, value, lo, hi)
        return float(value)

    def boolean(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {_kind(value)}")
        return value

    def account(self, account_sids: set[str], name: str = "account") -> str:
        """A key that names an ``[[accounts]]`` entry by its sid."""
        sid = self.string(name, nonempty=True)
        if sid not in account_sids:
            raise self.error(name, f"no [[accounts]] entry has sid {sid!r}")
        return sid

    def strings(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if name not in self.data:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, "must be a list of strings")
        return tuple(value)

    def url(self, name: str, default: Any = _MISSING, *, schemes=("http", "https")) -> Any:
        value = self.string(name, default)
        if name not in self.data:
            return value
        from gateway.common import weburl

        try:
            scheme = weburl.parse(value).scheme  # the parser the callback sender uses
        except weburl.BadUrl as e:
            raise self.error(name, f"must be an absolute {'/'.join(schemes)} URL, got "
                                   f"{weburl.hide_userinfo(value)!r} ({weburl.hide_userinfo(str(e))})") from None
        if scheme not in schemes:
            raise self.error(name, f"must be an absolute {'/'.join(schemes)} URL, got "
                                   f"{weburl.hide_userinfo(value)!r}")
        return value

    def table(self, name: str, *, optional: bool = True) -> "Table | None":
        value = self._get(name, None if optional else _MISSING)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(name, f"must be a table, got {_kind(value)}")
        return Table(value, self.source, self.key(name))

    def tables(self, name: str) -> list[Mapping[str, Any]]:
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(name, f"must be an array of tables ([[{name}]])")
        return value

    def raw(self, name: str) -> Any:
        return self._get(name, None)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise self.error(unknown[0], "unknown key (check the spelling against conf/gateway.toml)")


def parse_listen(table: Table, name: str, default: str) -> tuple[str, int]:
    value = table.string(name, default)
    match = _HOST_PORT.match(value)
    if not match:
        raise table.error(name, f'must be "host:port" (e.g. "127.0.0.1:8080"), got {value!r}')
    port = int(match["port"])
    if port > 65535:
        raise table.error(name, f"port must be 0..65535, got {port}")
    return (match["v6"] or match["host"] or "0.0.0.0"), port


def _check_range(table: Table, name: str, value: float, lo: float | None, hi: float | None) -> None:
    if lo is not None and value < lo:
        raise table.error(name, f"must be at least {lo}, got {value}")
    if hi is not None and value > hi:
        raise table.error(name, f"must be at most {hi}, got {value}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
