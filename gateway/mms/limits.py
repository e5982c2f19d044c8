"""MMS size limits per carrier and sender type (pure).

The sender type comes from the ``from`` number: a short code is 5-6 digits, a
toll-free number is +1 8XX with XX one of 00/33/44/55/66/77/88, anything else
is a long code.  The carrier's profile is picked from its configured name
(``att``, ``verizon``, ``tmobile``, ``sprint``, ``uscellular`` and aliases,
see ``conf/mm7_limits.toml``); ``[carriers.size_limits]`` overrides it; an
unknown carrier gets the recommended safe default of 500 KB.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Mapping

KB = 1024
MB = 1024 * KB

LONG_CODE, SHORT_CODE, TOLL_FREE = "long_code", "short_code", "toll_free"
SAFE_DEFAULT = 500 * KB

_SHORT = re.compile(r"^\d{5,6}$")
_TOLL_FREE = re.compile(r"^\+?1(800|833|844|855|866|877|888)\d{7}$")


@dataclass(frozen=True)
class Profile:
    long_code: int
    short_code: int
    toll_free: int
    aliases: tuple[str, ...] = ()

    def limit(self, sender_type: str) -> int:
        return getattr(self, sender_type)


DEFAULT_PROFILES: Mapping[str, Profile] = {
    "att": Profile(1 * MB, 1 * MB, 525 * KB, ("at&t", "at-t", "cingular")),
    "verizon": Profile(int(1.2 * MB), int(1.2 * MB), 525 * KB, ("vzw", "verizon-wireless")),
    "tmobile": Profile(1 * MB, 1 * MB, 525 * KB, ("t-mobile", "tmo", "t-mobile-us")),
    "sprint": Profile(2 * MB, 2 * MB, 525 * KB),
    "uscellular": Profile(500 * KB, 500 * KB, 525 * KB, ("us-cellular", "us cellular", "usc")),
    "default": Profile(SAFE_DEFAULT, SAFE_DEFAULT, SAFE_DEFAULT),
}


def sender_type(sender: str) -> str:
    bare = sender.split(":", 1)[1] if ":" in sender else sender
    bare = bare.replace(" ", "").replace("-", "")
    if _SHORT.match(bare):
        return SHORT_CODE
    if _TOLL_FREE.match(bare):
        return TOLL_FREE
    return LONG_CODE


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9&]", "", name.lower())


def profile_for(carrier_name: str, profiles: Mapping[str, Profile] = DEFAULT_PROFILES) -> Profile:
    """The profile whose key or alias matches the carrier name, else default.

    Matching ignores case and punctuation, and a name that *starts* with a
    profile key counts (``att-mm7`` -> att, ``verizon-east`` -> verizon).
    """
    name = _norm(carrier_name)
    for key, profile in profiles.items():
        if key == "default":
            continue
        for alias in (key, *profile.aliases):
            if name == _norm(alias) or name.startswith(_norm(alias)):
                return profile
    return profiles.get("default", DEFAULT_PROFILES["default"])


def size_limit(carrier_name: str, sender: str, overrides: Mapping[str, int] | None = None,
               profiles: Mapping[str, Profile] = DEFAULT_PROFILES) -> int:
    kind = sender_type(sender)
    if overrides and overrides.get(kind):
        return int(overrides[kind])
    return profile_for(carrier_name, profiles).limit(kind)


def load_profiles(text: str) -> dict[str, Profile]:
    """Profiles from a TOML document shaped like ``conf/mm7_limits.toml``."""
    data = tomllib.loads(text).get("profiles", {})
    out = {}
    for key, table in data.items():
        out[key] = Profile(int(table[LONG_CODE]), int(table[SHORT_CODE]), int(table[TOLL_FREE]),
                           tuple(table.get("aliases", ())))
    return out
