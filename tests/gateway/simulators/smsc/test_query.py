"""The simulator answers query_sm with each message's real state, and its
drop-receipts behaviour decides receipts without sending them (in memory)."""
from __future__ import annotations

from gateway.sms.receipts.query import answer_receipt, send_queries
from gateway.simulators.smsc.behaviours import behaviour
from gateway.simulators.smsc.config import SimConfig
from gateway.simulators.smsc.queries import MessageBook, absolute_time
from protocols.smpp.constants import CommandStatus
from protocols.smpp.pdu import QuerySm, QuerySmResp

from tests.gateway.carriers.smpp.carrier_rig import Rig, outcome, submit_sm


def ask(rig: Rig, message_id: str) -> QuerySmResp:
    (d,) = send_queries(rig.carrier, [QuerySm(message_id=message_id, source_addr="15550001111")])
    box = outcome(d)
    rig.net.flush()
    (response,) = box
    return response


def submitted(rig: Rig) -> str:
    box = outcome(rig.carrier.submit(submit_sm(registered_delivery=1)))
    rig.net.advance(0.1)  # the response, then the receipt
    (resp,) = box
    return resp.message_id


def test_query_sm_gets_the_state_of_the_receipt_sent():
    rig = Rig(SimConfig(outcomes={"UNDELIV": 1}))
    message_id = submitted(rig)
    assert len(rig.delivered) == 1  # the receipt went out
    answer = ask(rig, message_id)
    assert (answer.command_status, answer.message_id, answer.message_state, answer.error_code) == (
        0, message_id, 5, 1)  # UNDELIVERABLE, MAP cause 1
    assert answer.final_date == absolute_time(rig.net.reactor.seconds())
    assert len(answer.final_date) == 16 and answer.final_date.endswith("000+")
    assert answer_receipt(message_id, answer).stat == "UNDELIV"
    rig.stop()


def test_drop_receipts_sends_none_and_query_sm_tells_the_state():
    rig = Rig(behaviour("drop-receipts").config(receipt_delay=10.0, outcomes={"DELIVRD": 1}))
    message_id = submitted(rig)
    enroute = ask(rig, message_id)
    assert (enroute.command_status, enroute.message_state, enroute.final_date) == (0, 1, "")
    assert answer_receipt(message_id, enroute) is None  # not decided yet
    rig.net.advance(11, step=1)
    assert rig.delivered == [] and rig.sim.stats["receipts_dropped"] == 1
    final = ask(rig, message_id)
    assert (final.message_state, final.error_code) == (2, 0)
    assert answer_receipt(message_id, final).stat == "DELIVRD"
    assert rig.sim.stats["queries"] == 2
    rig.stop()


def test_unknown_message_id_is_esme_rqueryfail():
    rig = Rig()
    answer = ask(rig, "deadbeef")
    assert answer.command_status == CommandStatus.ESME_RQUERYFAIL
    assert answer_receipt("deadbeef", answer) is None
    rig.stop()


def test_the_book_forgets_the_oldest_first():
    book = MessageBook(capacity=2)
    for n in range(3):
        book.remember(str(n), "DELIVRD", 0.0)
    assert len(book) == 2
    assert book.answer(QuerySm(message_id="0"), 1.0).command_status == CommandStatus.ESME_RQUERYFAIL
    assert book.answer(QuerySm(message_id="2"), 1.0).message_state == 2


def test_drop_receipts_is_in_the_catalogue_and_the_cli():
    from gateway.simulators.smsc import cli as simcli
    import argparse

    assert behaviour("DropReceiptsSMSC").settings["drop_receipt_ratio"] == 1.0
    parser = argparse.ArgumentParser()
    simcli.configure(parser)
    config = simcli.config_from(parser.parse_args(["--drop-receipt-ratio", "0.25"]))
    assert config.drop_receipt_ratio == 0.25


def test_book_forgets_the_oldest_message_once_even_when_one_is_remembered_twice():
    book = MessageBook(capacity=2)
    for message_id in ("a", "a", "b", "c", "d"):
        book.remember(message_id, "DELIVRD", 0.0)
    assert len(book) == 2
    known = [m for m in "abcd" if book.answer(QuerySm(message_id=m), 1.0).command_status == 0]
    assert known == ["c", "d"]
