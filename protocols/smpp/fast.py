"""Fast constructors for the frozen, slotted dataclasses of this package.

A frozen dataclass's ``__init__`` sets each field through
``object.__setattr__``, which costs more than the slot descriptors do
(figures: README, "Codec and session").  The hot paths make one PDU or
event per message (a response to each deliver_sm, a ResponseReceived per
submit_sm_resp, a simulator's receipts), so they use
``fast_constructor(cls)``: a function with the very signature of ``cls(...)``
(same positional and keyword-only parameters, same defaults) that builds
an equal instance through the slots.  The codec's decoders fill instances
the same way.

Only for classes without ``__post_init__`` and ``default_factory`` (it
refuses the others), since it skips ``__init__`` entirely.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable


def fast_constructor(cls: type) -> Callable[..., Any]:
    """``make = fast_constructor(DeliverSmResp)``; ``make(sequence_number=7) == DeliverSmResp(sequence_number=7)``."""
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__: use its constructor")
    fields = dataclasses.fields(cls)
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    positional, keyword = [], []
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} has a default_factory")
        param = f.name
        if f.default is not dataclasses.MISSING:
            namespace[f"{f.name}_default"] = f.default
            param = f"{f.name}={f.name}_default"
        (keyword if f.kw_only else positional).append(param)
        namespace[f"set_{f.name}"] = getattr(cls, f.name).__set__
    params = ", ".join(positional + (["*"] + keyword if keyword else []))
    body = "".join(f"    set_{f.name}(o, {f.name})\n" for f in fields)
    source = f"def make({params}):\n    o = new(cls)\n{body}    return o\n"
    exec(source, namespace)  # noqa: S102 - source built from the dataclass fields above
    make = namespace["make"]
    make.__name__ = make.__qualname__ = f"make_{cls.__name__}"
    make.__doc__ = f"Build a {cls.__name__} (the arguments of its constructor), fast."
    return make
