"""Structure-aware fuzz of the MM7 readers (MIME and XML mutations).

Invariant, as h11's fuzz harness states it: any input either reads or
raises ``Mm7Error`` (which the endpoint answers with a SOAP fault); nothing
else escapes.  400 derandomized examples keep it to seconds; for a longer
campaign set ``MM7_FUZZ_EXAMPLES`` (and ``MM7_FUZZ_RANDOM=1`` for new
inputs on every run).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from protocols.mm7.errors import Mm7Error
from protocols.mm7.messages import read_deliver, read_delivery_report, read_submit_request, read_submit_response
from protocols.mm7.parse import read_envelope

from .mutations import request

READERS = (read_deliver, read_delivery_report, read_submit_request, read_submit_response)
FUZZ = settings(max_examples=int(os.environ.get("MM7_FUZZ_EXAMPLES", "400")), deadline=None,
                derandomize=not os.environ.get("MM7_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def read_all(ctype, body) -> list:
    """Every reader's result on ``(ctype, body)``; ``Mm7Error`` is an answer."""
    try:
        env = read_envelope(ctype, body)
    except Mm7Error as exc:
        return [exc]
    results = []
    for reader in READERS:
        try:
            value = reader(env)
            if reader is read_deliver:
                assert isinstance(value.text, str) and all(isinstance(m.data, bytes) for m in value.media)
            results.append(value)
        except Mm7Error as exc:
            results.append(exc)
    return results


@FUZZ
@given(request())
def test_mutated_requests_read_or_raise_mm7_error(case):
    read_all(*case)
