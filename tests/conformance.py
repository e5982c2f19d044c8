"""Check a class against a ``typing.Protocol`` it claims to implement, and a
shipped fake against the real class, so neither drifts from the interface.

``runtime_checkable`` isinstance only asks that each member exists; this also
compares the parameters of every method the protocol names (their names,
kinds and which have defaults; annotations are not compared).
"""
from __future__ import annotations

import inspect
from typing import Any


def protocol_methods(protocol: type) -> list[str]:
    """The methods a protocol names (not its properties or attributes)."""
    return sorted(name for name, value in vars(protocol).items()
                  if not name.startswith("_") and inspect.isfunction(value))


def protocol_members(protocol: type) -> list[str]:
    """Every member a protocol names: methods, properties and attributes."""
    names = {name for name in vars(protocol) if not name.startswith("_")}
    return sorted(names | set(vars(protocol).get("__annotations__", {})))


def parameters(function: Any) -> list[tuple[str, Any, bool]]:
    """(name, kind, has a default) of each parameter after ``self``."""
    params = list(inspect.signature(function).parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return [(p.name, p.kind, p.default is not inspect.Parameter.empty) for p in params]


def mismatches(candidate: Any, protocol: type, like: type | None = None) -> list[str]:
    """Why *candidate* (an instance) is not a *protocol*, or differs from the
    class *like* in a method the protocol names; empty when it conforms."""
    problems = []
    if not isinstance(candidate, protocol):
        missing = [name for name in protocol_members(protocol) if not hasattr(candidate, name)]
        problems.append(f"not a {protocol.__name__}: missing {missing}")
    for name in protocol_methods(protocol):
        method = getattr(candidate, name, None)
        if method is None:
            continue  # reported as missing above
        if not callable(method):
            problems.append(f"{name} is not a method")
            continue
        for other in (protocol, like) if like is not None else (protocol,):
            if parameters(method) != parameters(getattr(other, name)):
                problems.append(f"{name}{inspect.signature(method)} differs from "
                                f"{other.__name__}.{name}{inspect.signature(getattr(other, name))}")
    return problems
