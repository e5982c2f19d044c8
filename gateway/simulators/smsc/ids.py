"""Message ids the simulator hands out: hex, decimal or UUID."""
from __future__ import annotations

import uuid
from typing import Callable


def id_generator(fmt: str, start: int = 1, seed: int | None = None) -> Callable[[], str]:
    """A zero-argument function returning the next message id as text.

    Hex ids are the form most SMSCs use (and the one receipts must match in
    decimal too); decimal ids grow past 2**63 if started there; UUIDs are
    random (seeded for reproducible tests).
    """
    counter = [start]
    if fmt == "hex":
        def next_hex() -> str:
            n = counter[0]
            counter[0] = n + 1
            return f"{n:08x}"
        return _numbered(next_hex, counter, b"%08x")
    if fmt == "decimal":
        def next_decimal() -> str:
            n = counter[0]
            counter[0] = n + 1
            return str(n)
        return _numbered(next_decimal, counter, b"%d")
    if fmt == "uuid":
        import random
        rng = random.Random(seed)

        def next_uuid() -> str:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return next_uuid
    raise ValueError(f"unknown message id format {fmt!r}")


def _numbered(generator: Callable[[], str], counter: list[int],
              spelling: bytes) -> Callable[[], str]:
    """Let a fast reader take numbers itself: ``generator.counter[0]`` is the next
    number and ``generator.spelling % number`` its id in bytes."""
    generator.counter = counter  # type: ignore[attr-defined]
    generator.spelling = spelling  # type: ignore[attr-defined]
    return generator


def id_translator(fmt: str, receipt_fmt: str) -> Callable[[str], str] | None:
    """How a receipt spells an id handed out in ``fmt``: None when as is.

    ``id_translator("hex", "decimal")("000000ff") == "255"``: the same number
    in the other base, as many carriers do.
    """
    if receipt_fmt in ("same", fmt):
        return None
    base = 16 if fmt == "hex" else 10
    if receipt_fmt == "decimal":
        return lambda message_id: str(int(message_id, base))
    return lambda message_id: f"{int(message_id, base):08x}"
