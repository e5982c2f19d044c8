"""``Body`` search is case-insensitive beyond ASCII, on SQLite and on
PostgreSQL (issue 10, item 10): the listing query on a real database."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from gateway.api.intake import new_message
from gateway.store import migrate
from gateway.store.engine import make_engine
from gateway.messages.store import insert_message
from gateway.messages.queries import ListQuery, list_messages
from tests.db_backends import BACKENDS, database_url

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
BODIES = ["Grüße aus Köln", "STRASSE 5", "ΣΟΦΟΣ λόγος", "Ꭰ Cherokee ꭰ", "plain ascii",
          "ﬁle ﬂow", "100% off_now", "Gru\u0308sse decomposed"]


@pytest.fixture(params=BACKENDS)
def conn(request, tmp_path):
    with database_url(request.param, tmp_path / "search.db") as url:
        migrate.upgrade(url)
        engine = make_engine(url, writer=True)
        with engine.connect() as connection:
            with connection.begin():
                for i, body in enumerate(BODIES):
                    row = new_message({"from": ["sms:+14155550100"], "to": ["sms:+14155550101"],
                                       "body": [body]}, account_sid="AC1", api="messages",
                                      now=T0 + timedelta(seconds=i))
                    row["body"] = body  # as a carrier's inbound text may be: not normalised
                    insert_message(connection, row)
                yield connection
        engine.dispose()


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def found(conn, needle: str) -> list[str]:
    rows, total = list_messages(conn, "AC1", ListQuery(body=needle, page_size=100))
    assert total == len(rows)
    return sorted(row["body"] for row in rows)


@pytest.mark.parametrize("needle,expect", [
    ("GRÜSSE", ["Grüße aus Köln", "Gru\u0308sse decomposed"]),
    ("grüße", ["Grüße aus Köln", "Gru\u0308sse decomposed"]),
    ("KÖLN", ["Grüße aus Köln"]),
    ("straße", ["STRASSE 5"]),
    ("σοφος", ["ΣΟΦΟΣ λόγος"]),  # final sigma
    ("ΛΌΓΟΣ", ["ΣΟΦΟΣ λόγος"]),
    ("ꭰ", ["Ꭰ Cherokee ꭰ"]),
    ("FILE", ["ﬁle ﬂow"]),
    ("PLAIN", ["plain ascii"]),
    ("100%", ["100% off_now"]),
    ("o_f", []),  # '_' is literal, not a wildcard
    ("0% o", ["100% off_now"]),
])
def test_body_search_folds_case_beyond_ascii(conn, needle, expect):
    assert found(conn, needle) == sorted(expect)


def test_any_slice_of_a_body_in_any_case_finds_it(conn):
    @settings(max_examples=60, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(BODIES), st.data())
    def check(body, data):
        folded = fold(body)
        start = data.draw(st.integers(0, len(folded) - 1))
        end = data.draw(st.integers(start + 1, len(folded)))
        needle = folded[start:end]
        needle = data.draw(st.sampled_from([needle, needle.upper(), needle.title()]))
        assert body in found(conn, needle)

    check()
