"""The SMS API's read and list agree about MMS (issue 10, item 16): it
shows SMS only; an MMS it created is read under /Messages."""

from .conftest import ACCOUNT
from .memory_api import in_memory, server  # noqa: F401 (server: the in-memory fixture)


async def sms_list_sids(server):
    code, page = await server.json("GET", "/SMS/Messages.json?PageSize=100")
    assert code == 200
    return {m["sid"] for m in page["messages"]}


@in_memory
async def test_sms_api_read_and_list_agree_about_mms(server):
    code, mms = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "look",
        "MediaUrl": "http://example.com/a.jpg"})
    assert code == 201, mms
    assert mms["uri"] == f"/api/2012-04-24/Accounts/{ACCOUNT}/Messages/{mms['sid']}.json"
    code, sms = await server.json("POST", "/SMS/Messages.json", data={
        "From": "+14155550100", "To": "+14155550101", "Body": "hi"})
    assert code == 201 and sms["uri"].endswith(f"/SMS/Messages/{sms['sid']}.json")
    code, other = await server.json("POST", "/Messages.json", json={
        "from": "mms:+14155550100", "to": "mms:+14155550101", "body": "x",
        "media_list": [{"url": "http://example.com/b.jpg"}]})
    assert code == 201

    listed = await sms_list_sids(server)
    assert listed == {sms["sid"]}
    for sid in (mms["sid"], other["sid"]):
        code, error = await server.json("GET", f"/SMS/Messages/{sid}.json")
        assert (code, error["code"]) == (404, 20404)
        code, resource = await server.json("GET", f"/Messages/{sid}.json")
        assert code == 200 and resource["to"] == "mms:+14155550101"
    code, resource = await server.json("GET", f"/SMS/Messages/{sms['sid']}.json")
    assert code == 200 and resource["to"] == "+14155550101"
    code, resource = await server.json("GET", mms["uri"].split(ACCOUNT, 1)[1])
    assert code == 200 and resource["sid"] == mms["sid"]
