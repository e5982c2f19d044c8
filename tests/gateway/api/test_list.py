from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.api.intake import new_message
from gateway.messages.store import insert_message, transition

from .conftest import ACCOUNT
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)


def fixture_rows():
    rows = []
    for i in range(12):
        channel = "mms" if i % 3 == 0 else "sms"
        to = f"+1415555{i:04d}" if i % 2 == 0 else f"+4420700{i:04d}"
        params = {"from": [f"{channel}:+1800555{i % 2:04d}"], "to": [f"{channel}:{to}"],
                  "body": [f"order {i} {'shipped' if i % 4 == 0 else 'pending'}"]}
        rows.append(new_message(params, account_sid=ACCOUNT, api="messages",
                                now=T0 + timedelta(hours=6 * i)))
    return rows


def seed(conn, rows):
    for i, row in enumerate(rows):
        insert_message(conn, row)
        if i % 5 == 0:
            transition(conn, row["sid"], "failed", now=row["date_created"], error_code=30008)


@pytest.fixture
def rows(server):
    rows = fixture_rows()
    server.done(server.store.write(seed, rows))
    return rows


async def listing(server, query="", path="/Messages"):
    code, body = await server.json("GET", path + ("?" + query if query else ""))
    assert code == 200, body
    return body


def sids(page):
    return [m["sid"] for m in page["messages"]]


@in_memory
async def test_default_newest_first_and_paging_fields(server, rows):
    page = await listing(server, "PageSize=5")
    newest = [r["sid"] for r in reversed(rows)]
    assert sids(page) == newest[:5]
    assert (page["page"], page["num_pages"], page["page_size"], page["total"]) == (0, 3, 5, 12)
    assert (page["start"], page["end"]) == (0, 4)
    assert page["previous_page_uri"] is None
    assert page["first_page_uri"].endswith("Page=0&PageSize=5")
    assert page["last_page_uri"].endswith("Page=2&PageSize=5")
    # Walk forward with next_page_uri (keyset tokens), then back.
    seen = sids(page)
    while page["next_page_uri"]:
        code, page = await server.json("GET", page["next_page_uri"].split(ACCOUNT, 1)[1])
        seen += sids(page)
    assert seen == newest and page["page"] == 2 and (page["start"], page["end"]) == (10, 11)
    code, prev = await server.json("GET", page["previous_page_uri"].split(ACCOUNT, 1)[1])
    assert sids(prev) == newest[5:10] and prev["page"] == 1


@in_memory
async def test_page_by_number_from_either_end(server, rows):
    newest = [r["sid"] for r in reversed(rows)]
    for number in range(3):
        page = await listing(server, f"PageSize=5&Page={number}")
        assert sids(page) == newest[number * 5:number * 5 + 5]
    code, body = await server.json("GET", "/Messages?PageSize=5&Page=3")
    assert (code, body["code"]) == (400, 21100)
    empty = await listing(server, "To=sms:%2B9%25")
    assert (empty["total"], empty["num_pages"], empty["messages"]) == (0, 1, [])


@in_memory
async def test_to_from_prefix_filters(server, rows):
    page = await listing(server, "To=mms:%2B1%25")
    expect = [r["sid"] for r in reversed(rows) if r["channel"] == "mms" and r["to"].startswith("+1")]
    assert sids(page) == expect and expect
    page = await listing(server, "To=%2B44")
    assert sids(page) == [r["sid"] for r in reversed(rows) if r["to"].startswith("+44")]
    page = await listing(server, "From=sms:%2B18005550001")
    assert sids(page) == [r["sid"] for r in reversed(rows)
                          if r["channel"] == "sms" and r["from_"] == "+18005550001"]
    page = await listing(server, "To=%2B1415%25000%25")  # an inner wildcard
    assert sids(page) == [r["sid"] for r in reversed(rows) if r["to"].startswith("+1415555000")]


@in_memory
async def test_time_status_error_body_filters(server, rows):
    page = await listing(server, "StartTime=2026-11-02&EndTime=2026-11-02")
    assert sids(page) == [r["sid"] for r in reversed(rows) if r["date_created"].day == 2]
    page = await listing(server, "StartTime=2026-11-01T16:00:00Z&EndTime=2026-11-02T04:00:00%2B00:00")
    assert sids(page) == [rows[3]["sid"], rows[2]["sid"], rows[1]["sid"]]  # inclusive ends
    page = await listing(server, "Status=failed")
    assert sids(page) == [rows[i]["sid"] for i in (10, 5, 0)]
    page = await listing(server, "ErrorCode=30008&Status=failed")
    assert page["total"] == 3
    page = await listing(server, "Body=SHIPPED")
    assert sids(page) == [rows[i]["sid"] for i in (8, 4, 0)]
    assert "Body=SHIPPED" in page["first_page_uri"]


@pytest.mark.parametrize("query", ["StartTime=yesterday", "EndTime=2026-13-01", "Status=lost",
                                   "ErrorCode=abc", "SortBy=Price", "SortBy=To:up", "Page=-1",
                                   "PageSize=0", "PageSize=1001", "PageToken=zz"])
@in_memory
async def test_invalid_list_parameters(server, query):
    code, body = await server.json("GET", "/Messages?" + query)
    assert (code, body["code"]) == (400, 21100), query
    assert body["message"]


@in_memory
async def test_sorting(server, rows):
    page = await listing(server, "SortBy=DateCreated:asc&PageSize=100")
    assert sids(page) == [r["sid"] for r in rows]
    page = await listing(server, "SortBy=To:asc&PageSize=100")
    assert [m["to"].split(":")[1] for m in page["messages"]] == sorted(r["to"] for r in rows)
    page = await listing(server, "SortBy=Status&PageSize=100")  # no direction: ascending
    assert [m["status"] for m in page["messages"]] == ["failed"] * 3 + ["queued"] * 9
    page = await listing(server, "SortBy=Status:desc&PageSize=100")
    assert [m["status"] for m in page["messages"]] == ["queued"] * 9 + ["failed"] * 3
    page = await listing(server, "SortBy=DateCreated&PageSize=100")
    assert sids(page) == [r["sid"] for r in rows]
    # Keyset paging under a non-date sort gives the same order as one big page.
    big = await listing(server, "SortBy=From:asc&PageSize=100")
    walked, page = [], await listing(server, "SortBy=From:asc&PageSize=5")
    walked += sids(page)
    while page["next_page_uri"]:
        code, page = await server.json("GET", page["next_page_uri"].split(ACCOUNT, 1)[1])
        walked += sids(page)
    assert walked == sids(big)
    page = await listing(server, "SortBy=direction:desc")
    assert page["total"] == 12


@in_memory
async def test_sms_list_shows_sms_channel_with_plain_numbers(server, rows):
    page = await listing(server, "PageSize=100", path="/SMS/Messages.json")
    assert sids(page) == [r["sid"] for r in reversed(rows) if r["channel"] == "sms"]
    assert all(m["to"].startswith("+") for m in page["messages"])
    assert urlsplit(page["uri"]).path.endswith("/SMS/Messages.json")
    assert parse_qs(urlsplit(page["uri"]).query)["PageSize"] == ["100"]


@in_memory
async def test_unencoded_plus_in_filter_is_understood(server, rows):
    page = await listing(server, "To=sms:+44")
    assert sids(page) == [r["sid"] for r in reversed(rows)
                          if r["channel"] == "sms" and r["to"].startswith("+44")]


@in_memory
async def test_end_time_covers_the_whole_second_or_minute_it_names(server):
    # Resources show dates to the second; the store keeps microseconds.  An
    # inclusive EndTime written to the second takes all of that second.
    params = {"from": ["sms:+18005550000"], "to": ["sms:+14155550000"], "body": ["t"]}
    rows = [new_message(params, account_sid=ACCOUNT, api="messages",
                        now=T0 + timedelta(seconds=offset)) for offset in (0.25, 1.5, 2.75, 60.5)]
    for row in rows:
        await server.store.write(insert_message, row)
    first, second, third, next_minute = (r["sid"] for r in rows)
    page = await listing(server, "EndTime=2026-11-01T10:00:01Z")
    assert sids(page) == [second, first]
    page = await listing(server, "StartTime=2026-11-01T10:00:01Z&EndTime=2026-11-01T10:00:01Z")
    assert sids(page) == [second]
    page = await listing(server, "EndTime=2026-11-01T10:00Z")  # the whole minute
    assert sids(page) == [third, second, first]
    page = await listing(server, "EndTime=2026-11-01T12:00:01%2B02:00")  # same second, UTC+2
    assert sids(page) == [second, first]
    page = await listing(server, "EndTime=2026-11-01T12:00:01+02:00")  # '+' not encoded
    assert sids(page) == [second, first]
    page = await listing(server, "EndTime=2026-11-01T10:00:01.4Z")  # a fraction is exact
    assert sids(page) == [first]
    assert next_minute not in sids(await listing(server, "EndTime=2026-11-01T10:00:59Z"))
