"""Listing queries against a plain-Python model of the same rules: filters,
sort orders, page numbers from either end, and keyset walks."""
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.messages.store import insert_message, transition
from gateway.messages.queries import ListQuery, list_messages

from tests.gateway.store.factories import T0, message_row

ACCOUNT = "AC" + "1" * 32
KEYS = {"date_created": "date_created", "to": "to", "from_": "from_", "status": "status",
        "direction": "direction"}


def dataset():
    rows = []
    for i in range(37):
        rows.append(message_row(
            account_sid=ACCOUNT, channel="mms" if i % 4 == 0 else "sms",
            to=f"+{1 + i % 3}415555{i % 7:04d}", from_=f"+1800555{i % 5:04d}",
            direction="inbound" if i % 6 == 0 else "outbound-api",
            body=f"parcel {i} {'late' if i % 3 == 0 else 'ok'}",
            # Some rows share a creation time: the sid breaks the tie.
            date_created=T0 + timedelta(minutes=i - i % 2)))
    rows.append(message_row(account_sid="AC" + "2" * 32))  # another account: never listed
    return rows


def seed(conn):
    rows = dataset()
    for i, row in enumerate(rows):
        insert_message(conn, row)
        if i % 5 == 0:
            transition(conn, row["sid"], "failed", now=T0, error_code=30003 + i % 2)
            row.update(status="failed", error_code=30003 + i % 2)
        else:
            row.update(error_code=None)
    return [r for r in rows if r["account_sid"] == ACCOUNT]


def model(rows, q: ListQuery):
    def keep(r):
        return ((q.channel is None or r["channel"] == q.channel)
                and (q.to_channel is None or r["channel"] == q.to_channel)
                and (q.to is None or r["to"].startswith(q.to.rstrip("%")))
                and (q.status is None or r["status"] == q.status)
                and (q.error_code is None or r["error_code"] == q.error_code)
                and (q.body is None or q.body.lower() in r["body"].lower())
                and (q.start is None or r["date_created"] >= q.start)
                and (q.end is None or r["date_created"] <= q.end))
    chosen = [r for r in rows if keep(r)]
    key = KEYS[q.sort]
    chosen.sort(key=lambda r: (r[key], r["date_created"], r["sid"]), reverse=q.descending)
    return [r["sid"] for r in chosen]


queries = st.builds(
    ListQuery,
    channel=st.sampled_from([None, "sms"]),
    to=st.sampled_from([None, "+1%", "+2415%", "+34155550003%"]),
    to_channel=st.sampled_from([None, "mms"]),
    status=st.sampled_from([None, "queued", "failed"]),
    error_code=st.sampled_from([None, 30003]),
    body=st.sampled_from([None, "LATE", "parcel 1"]),
    start=st.sampled_from([None, T0 + timedelta(minutes=10)]),
    end=st.sampled_from([None, T0 + timedelta(minutes=25)]),
    sort=st.sampled_from(sorted(KEYS)),
    descending=st.booleans(),
    page_size=st.integers(1, 9),
)


def test_pages_match_the_model(conn):
    rows = seed(conn)

    # Hypothesis runs inside the test (not as its decorator) so that the
    # seeded connection is shared by every example.
    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=queries, data=st.data())
    def check(q, data):
        check_query(conn, rows, q, data)

    check()


def check_query(conn, rows, q, data):
    expected = model(rows, q)
    pages = max(1, -(-len(expected) // q.page_size))
    page = data.draw(st.integers(0, pages - 1), label="page")
    got, total = list_messages(conn, ACCOUNT, ListQuery(**{**q.__dict__, "page": page}))
    assert total == len(expected)
    assert [r["sid"] for r in got] == expected[page * q.page_size:(page + 1) * q.page_size]
    # Keyset walk forward from the first page covers everything once, in order.
    walked, token = [], None
    for number in range(pages):
        got, _ = list_messages(conn, ACCOUNT, ListQuery(**{**q.__dict__, "page": number,
                                                           "token": token}))
        walked += [r["sid"] for r in got]
        token = ("after", got[-1]["sid"]) if got else None
    assert walked == expected
    # And one page back from the last.
    if pages > 1:
        last, _ = list_messages(conn, ACCOUNT, ListQuery(**{**q.__dict__, "page": pages - 1}))
        back, _ = list_messages(conn, ACCOUNT, ListQuery(**{**q.__dict__, "page": pages - 2,
                                                            "token": ("before", last[0]["sid"])}))
        assert [r["sid"] for r in back] == expected[(pages - 2) * q.page_size:
                                                     (pages - 1) * q.page_size]
