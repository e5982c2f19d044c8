"""List parameters, exactly (issue 10, items 2, 3, 9, 11, 12)."""
from datetime import timedelta

import pytest

from gateway.store.schema import messages

from .conftest import ACCOUNT
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)
from .test_list import fixture_rows, listing, seed, sids


def seed_sent(conn, rows):
    """The fixture rows; the even ones sent a minute after creation."""
    seed(conn, rows)
    for i, row in enumerate(rows):
        if i % 2 == 0:
            conn.execute(messages.update().where(messages.c.sid == row["sid"])
                         .values(date_sent=row["date_created"] + timedelta(minutes=1)))


@pytest.fixture
def rows(server):
    rows = fixture_rows()  # created 2026-11-01T10:00Z + 6 h * i
    server.done(server.store.write(seed_sent, rows))
    return rows


def newest_of(rows, *indexes):
    return [rows[i]["sid"] for i in sorted(indexes, reverse=True)]


async def error(server, query):
    code, body = await server.json("GET", "/Messages?" + query)
    assert (code, body["code"], body["status"]) == (400, 21100, 400), (query, body)
    return body["message"]


@pytest.mark.parametrize("query,expect", [
    ("EndTime=9999-12-31T23:59:59-05:00", range(12)),
    ("EndTime=9999-12-31", range(12)),
    ("EndTime=9999-12-31T23:59:59Z", range(12)),
    ("EndTime=9999-12-31T23", range(12)),
    ("StartTime=0001-01-01T00:00:00%2B01:00", range(12)),
    ("StartTime=0001-01-01", range(12)),
    ("StartTime=9999-12-31T23:59:59-05:00", []),
    ("EndTime=0001-01-01T00:00:00%2B01:00", []),
    ("DateSent%3C=9999-12-31T23:59:59-05:00", range(0, 12, 2)),
    ("DateSent%3E=0001-01-01T00:00:00%2B14:00", range(0, 12, 2)),
])
@in_memory
async def test_times_at_the_ends_of_the_calendar(server, rows, query, expect):
    page = await listing(server, query + "&PageSize=100")
    assert sids(page) == newest_of(rows, *expect)


@pytest.mark.parametrize("query,expect", [
    ("DateSent=2026-11-02", (4, 6)),
    ("DateSent=2026-11-02T10:01:00Z", (4,)),  # the whole second written
    ("DateSent%3E=2026-11-03", (8, 10)),
    ("DateSent>=2026-11-03", (8, 10)),  # an unencoded '>' in the name
    ("DateSent%3C=2026-11-01", (0, 2)),
    ("DateSent%3E=2026-11-01T22:01:00Z&DateSent%3C=2026-11-02T10:01:00Z", (2, 4)),
    ("DateSent=2026-11-02&DateSent%3E=2026-11-02T12:00:00Z", (6,)),
])
@in_memory
async def test_date_sent_filters(server, rows, query, expect):
    page = await listing(server, query + "&PageSize=100")
    assert sids(page) == newest_of(rows, *expect)
    assert page["total"] == len(expect)


@in_memory
async def test_date_sent_filters_are_kept_in_page_uris(server, rows):
    page = await listing(server, "DateSent%3E=2026-11-01&PageSize=2")
    assert "DateSent%3E=2026-11-01" in page["next_page_uri"]
    code, nxt = await server.json("GET", page["next_page_uri"].split(ACCOUNT, 1)[1])
    assert code == 200 and sids(nxt) == newest_of(rows, 6, 4)


@pytest.mark.parametrize("query", ["ErrorCode=9223372036854775808", "ErrorCode=%C2%B2",
                                   "ErrorCode=%D9%A3", "ErrorCode=-1", "ErrorCode=2147483648",
                                   "ErrorCode=3_0"])
@in_memory
async def test_error_code_filter_is_exact(server, rows, query):
    assert (await error(server, query)).startswith("ErrorCode")


@in_memory
async def test_error_code_filter_at_the_column_limit(server, rows):
    page = await listing(server, "ErrorCode=2147483647")
    assert page["total"] == 0


@pytest.mark.parametrize("name", ["Limit", "limit", "to", "DateSent%3C%3D", "PageNumber",
                                  "StartTime%20", "Gr%C3%BC%C3%9Fe"])
@in_memory
async def test_unknown_list_parameters_are_400_naming_them(server, rows, name):
    from urllib.parse import unquote
    message = await error(server, f"{name}=5")
    assert message.startswith(unquote(name) + ": not a list parameter")


@pytest.mark.parametrize("token", ["PAjunk", "PA", "PBSM123", "PASM" + "g" * 32,
                                   "XASM" + "0" * 32, "PASM" + "0" * 33])
@in_memory
async def test_malformed_page_tokens_are_400(server, rows, token):
    assert (await error(server, "PageToken=" + token)).startswith("PageToken")


@pytest.mark.parametrize("query", ["PageSize=%EF%BC%91%EF%BC%90", "PageSize=1_0",
                                   "PageSize=%2010", "PageSize=%2B10", "Page=%D9%A0",
                                   "PageSize=10.0"])
@in_memory
async def test_page_numbers_are_ascii_digits(server, rows, query):
    assert (await error(server, query)).startswith(query.split("=")[0])


@in_memory
async def test_a_parameter_given_twice_is_400(server, rows):
    assert "more than once" in await error(server, "Status=queued&Status=failed")


@in_memory
async def test_sort_without_direction_is_ascending(server, rows):
    page = await listing(server, "SortBy=To&PageSize=100")
    assert [m["to"].split(":")[1] for m in page["messages"]] == sorted(r["to"] for r in rows)
    page = await listing(server, "SortBy=To:desc&PageSize=100")
    tos = [m["to"].split(":")[1] for m in page["messages"]]
    assert tos == sorted((r["to"] for r in rows), reverse=True)
