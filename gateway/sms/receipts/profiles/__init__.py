"""Receipt profiles: the ones shipped with the gateway, and an operator's.

Rules:

* The shipped profiles are ``conf/receipts/NAME.toml``, one profile a file,
  named by its file (format and translation rules: ``default.toml``).  They
  are installed with the package as this package's data: each ``NAME.toml``
  here is a link to ``conf/receipts/NAME.toml``, so the two cannot differ
  (a test checks that every file has its link), and a wheel carries the
  files themselves.  They are read with ``importlib.resources``, so they
  are there whether the gateway runs from a checkout or an installation.
* ``[receipts] profiles = PATH`` (and ``carrier-gateway receipt
  --profiles PATH``) adds profiles or replaces shipped ones by name: PATH
  is a directory of ``NAME.toml`` files (e.g. a copy of ``conf/receipts/``
  in ``/etc/carrier-gateway/receipts``), or one file holding
  ``[profiles.NAME]`` tables (the earlier format, still read), or one file
  holding a single profile, named by the file.
* Each profile is built over the one it ``extends`` (default: "default");
  ``gateway.sms.receipts.translator.resolve_profiles`` does it.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.sms.receipts.translator import DEFAULT_PROFILE, Profile, ProfileError, resolve_profiles

SUFFIX = ".toml"


def _table(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def shipped_tables() -> dict[str, dict[str, Any]]:
    """The shipped profiles' tables, by name (the package data)."""
    tables = {}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(SUFFIX):
            name = entry.name[:-len(SUFFIX)]
            tables[name] = _table(entry.read_text(encoding="utf-8"), f"receipt profile {entry.name}")
    return tables


def path_tables(path: str | Path) -> dict[str, dict[str, Any]]:
    """Profile tables from an operator's directory or file (see the rules)."""
    path = Path(path)
    try:
        if path.is_dir():
            return {file.stem: _table(file.read_text(encoding="utf-8"), str(file))
                    for file in sorted(path.glob("*" + SUFFIX))}
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: {exc.strerror}") from None
    data = _table(text, str(path))
    if "profiles" in data:
        tables = data["profiles"]
        if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
            raise ProfileError(f"{path}: [profiles.NAME] must be tables")
        return dict(tables)
    return {path.stem: data}


def read(path: str | Path | None = None) -> dict[str, Profile]:
    """The shipped profiles, with ``path``'s over them; never empty."""
    tables = shipped_tables()
    if path is not None:
        tables.update(path_tables(path))
    try:
        profiles = resolve_profiles(tables)
    except ProfileError as exc:
        raise ProfileError(f"{path or 'shipped receipt profiles'}: {exc}") from None
    profiles.setdefault("default", DEFAULT_PROFILE)
    return profiles
