"""The deliver_sm / data_sm handler: receipts and mobile-originated SMS.

The pipeline plugs a ``DeliverHandler`` into each SMPP carrier as its
``deliver_handler(carrier_name, bind_name, pdu)``.  Rules:

* A receipt (``protocols.smpp.receipt.parse_pdu``) is applied with
  ``gateway.sms.receipts.store.apply_receipt``; anything else is an MO message,
  decoded with ``segmentation.decode`` (UDH or SAR concatenation) and stored
  with ``gateway.sms.inbound.store.receive``.  data_coding 0 is read in the
  carrier's ``default_alphabet`` (``alphabets``, by carrier name; see
  ``gateway.sms.inbound.mo_text``), falling back to Latin-1 (logged, counted in
  ``stats["mo_latin1_fallback"]``) when the octets cannot be GSM-7/ASCII.
  Read as GSM-7, octets that look like ASCII text with ``@ $ _`` in it
  (``MoText.ascii_hint``) are counted in ``stats["mo_ascii_hint"]``, and
  the first per carrier is logged: ``default_alphabet`` is probably
  "ascii" or "latin1".
* An MO whose text cannot be read (8-bit binary data, a coding we do not
  interpret, malformed text or UDH) is stored all the same, as a received
  message with an empty body; its octets, in hex, with data_coding,
  esm_class and the reason, are kept for support in the ``status_events``
  row of the message (``InboundSms.undecoded``), and the sms_url is called
  with ``Body`` empty.  Such a part is stored alone, not reassembled.
  Counted in ``stats["mo_undecoded"]``.
* The returned Deferred fires only after the store's durable write, so the
  SMPP layer sends deliver_sm_resp ESME_ROK only then; if the write fails
  the Deferred fails and the SMPP layer answers with a temporary error, so
  the SMSC redelivers.  Nothing accepted is lost.
* Only a PDU that cannot be read as a receipt or a message at all (a
  receipt without an id, a PDU object we do not understand) gets ``None``
  (answer ESME_ROK at once: redelivery would not help), is logged with its
  bytes and counted in ``stats["unreadable"]``.  A receipt with a
  malformed optional TLV is read without it (``Receipt.ignored``): counted
  in ``stats["receipt_tlvs_ignored"]``, logged once per carrier and TLV.
* ``sweep()`` runs the periodic jobs (early-receipt window, missing
  segments, inbound reassembly timeout); ``start()``/``stop()`` run it every
  ``settings.sweep_interval`` seconds on the injected clock.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping

from twisted.internet.defer import Deferred, DeferredList
from twisted.logger import Logger

from gateway.common.periodic import Periodic
from gateway.sms.inbound import store as inbound_store

from gateway.sms.receipts import store as receipts_store
from gateway.cluster.sweeps import once
from gateway.config.model import ReceiptSettings  # noqa: F401  (re-exported)
from gateway.sms.inbound.store import InboundSms, NumberRoute
from gateway.store.timeutil import from_timestamp
from gateway.sms.receipts.translator import Profile
from protocols.smpp.constants import Tag
from protocols.smpp.receipt import ReceiptError, parse_pdu
from gateway.sms.inbound.mo_text import MoText, read_mo
from gateway.store.interface import Store

UDHI = 0x40
INTERNATIONAL_TON = 1


def international(address: str, ton: int) -> str:
    if ton == INTERNATIONAL_TON and address and not address.startswith("+"):
        return "+" + address
    return address


class number_directory:
    """A lookup over config ``[[numbers]]`` (``api`` defaults to "messages"):
    ``directory(address) -> NumberRoute | None``.  A plain object rather
    than a closure: the reassembly sweep hands it to the store's writer
    process."""

    def __init__(self, numbers: Iterable[Any]) -> None:
        table: dict[str, NumberRoute] = {}
        for number in numbers:
            route = NumberRoute(
                number=number.number,
                account=number.account,
                sms_url=getattr(number, "sms_url", None),
                sms_method=getattr(number, "sms_method", "POST") or "POST",
                api=getattr(number, "api", "messages") or "messages",
            )
            table[number.number] = route
            table[number.number.lstrip("+")] = route
        self.table = table

    def __call__(self, address: str) -> NumberRoute | None:
        return self.table.get(address) or self.table.get(address.lstrip("+"))


def _sar(pdu: Any) -> tuple[int, int, int] | None:
    values = (pdu.tlv(Tag.SAR_MSG_REF_NUM), pdu.tlv(Tag.SAR_TOTAL_SEGMENTS), pdu.tlv(Tag.SAR_SEGMENT_SEQNUM))
    return values if None not in values else None


def undecoded_detail(pdu: Any, data: bytes, why: str | None) -> str:
    """What support needs of an MO whose text could not be read."""
    return (f"undecoded: {why}; data_coding={pdu.data_coding:#04x} esm_class={pdu.esm_class:#04x} "
            f"octets={bytes(data).hex()}")


class DeliverHandler:
    log = Logger()

    def __init__(self, store: Store, numbers: Callable[[str], NumberRoute | None], clock: Any, *,
                 profiles: Mapping[str, Profile] | None = None,
                 settings: ReceiptSettings = ReceiptSettings(),
                 alphabets: Mapping[str, str] | None = None, asked_first: Iterable[str] = ()) -> None:
        self.store = store
        self.numbers = numbers
        self.clock = clock
        self.profiles = dict(profiles or {})
        self.settings = settings
        self.alphabets = dict(alphabets or {})  # carrier -> default_alphabet ("gsm7" if absent)
        self.asked_first = frozenset(asked_first)  # carriers asked with query_sm before 30009
        self.stats = {"receipts": 0, "receipts_applied": 0, "receipts_waiting": 0,
                      "receipts_unmatched": 0, "mo": 0, "mo_parts_waiting": 0,
                      "mo_undecoded": 0, "mo_latin1_fallback": 0,
                      "unreadable": 0, "missing_segment": 0, "incomplete_inbound": 0,
                      "receipt_tlvs_ignored": 0, "mo_ascii_hint": 0}
        self._sweeps = Periodic(clock, self.sweep, name="receipts sweep")
        self._ignored_logged: set[tuple[str, str]] = set()  # (carrier, TLV) already logged
        self._hinted: set[str] = set()  # carriers told their default_alphabet looks wrong

    def _now(self):
        return from_timestamp(self.clock.seconds())

    def __call__(self, carrier_name: str, bind_name: str, pdu: Any) -> Deferred | None:
        try:
            receipt = parse_pdu(pdu)
        except ReceiptError as exc:
            return self._unreadable(carrier_name, bind_name, pdu, str(exc))
        except Exception as exc:  # a PDU object we do not understand at all
            return self._unreadable(carrier_name, bind_name, pdu, repr(exc))
        if receipt is not None:
            self.stats["receipts"] += 1
            if receipt.ignored:
                self.note_ignored(carrier_name, bind_name, receipt)
            d = self.store.write(receipts_store.apply_receipt, receipt, carrier=carrier_name,
                                 bind=bind_name, now=self._now(), profiles=self.profiles)
            return d.addCallback(self._receipt_done, carrier_name, receipt.message_id)
        try:
            sms, number = self._read_mo(carrier_name, bind_name, pdu)
        except Exception as exc:  # addresses or TLVs we cannot read: not a message
            return self._unreadable(carrier_name, bind_name, pdu, repr(exc))
        self.stats["mo"] += 1
        d = self.store.write(inbound_store.receive, sms, number=number, now=self._now())
        return d.addCallback(self._mo_done)

    def note_ignored(self, carrier: str, bind: str, receipt: Any) -> None:
        """Count a receipt's malformed optional TLVs; log each kind once per carrier."""
        self.stats["receipt_tlvs_ignored"] += len(receipt.ignored)
        for why in receipt.ignored:
            tlv = why.split(":", 1)[0]
            if (carrier, tlv) in self._ignored_logged:
                continue
            self._ignored_logged.add((carrier, tlv))
            self.log.warn(
                "receipt {message_id} from {carrier}/{bind}: malformed TLV ignored ({why}); read "
                "from its other TLVs and its text.  Logged once per carrier and TLV, counted in "
                "receipt_tlvs_ignored", message_id=receipt.message_id, carrier=carrier, bind=bind,
                why=why, tlv=tlv)

    def _receipt_done(self, applied: receipts_store.Applied, carrier: str, message_id: str) -> None:
        if applied.state == receipts_store.APPLIED:
            self.stats["receipts_applied"] += 1
        else:
            self.stats["receipts_waiting"] += 1
            self.log.info("receipt {message_id} from {carrier} matches no part yet; kept",
                          message_id=message_id, carrier=carrier)

    def _read_mo(self, carrier: str, bind: str, pdu: Any) -> tuple[InboundSms, NumberRoute | None]:
        data = getattr(pdu, "short_message", b"") or pdu.tlv(Tag.MESSAGE_PAYLOAD) or b""
        alphabet = self.alphabets.get(carrier, "gsm7")
        read = read_mo(pdu.data_coding, data, udhi=bool(pdu.esm_class & UDHI), sar=_sar(pdu),
                       default_alphabet=alphabet)
        source = international(pdu.source_addr, pdu.source_addr_ton)
        number = self.numbers(pdu.destination_addr) or self.numbers(
            international(pdu.destination_addr, pdu.dest_addr_ton))
        destination = number.number if number else international(pdu.destination_addr, pdu.dest_addr_ton)
        if number is None:
            self.log.warn("inbound message to unknown number {number} from {carrier}; kept without callback",
                          number=destination, carrier=carrier)
        return self._inbound(carrier, bind, pdu, data, read, source, destination, alphabet), number

    def _inbound(self, carrier: str, bind: str, pdu: Any, data: bytes, read: MoText,
                 source: str, destination: str, alphabet: str) -> InboundSms:
        if read.fallback:
            self.stats["mo_latin1_fallback"] += 1
            self.log.warn(
                "inbound message from {carrier}/{bind} has octets above 0x7F in data_coding 0, "
                "impossible in {alphabet} ({why}): read as Latin-1; the carrier probably needs "
                'default_alphabet = "latin1"', carrier=carrier, bind=bind, alphabet=alphabet, why=read.why)
        if read.ascii_hint:
            self._ascii_hint(carrier, bind, read)
        if read.text is not None:
            return InboundSms(carrier, source, destination, read.text, read.concat, bind)
        self.stats["mo_undecoded"] += 1
        detail = undecoded_detail(pdu, data, read.why)
        self.log.warn("inbound message from {carrier}/{bind} to {number} is not text; stored with an "
                      "empty body, its octets kept: {detail}",
                      carrier=carrier, bind=bind, number=destination, detail=detail)
        return InboundSms(carrier, source, destination, "", None, bind, undecoded=detail)

    def _ascii_hint(self, carrier: str, bind: str, read: MoText) -> None:
        self.stats["mo_ascii_hint"] += 1
        if carrier in self._hinted:
            return
        self._hinted.add(carrier)
        self.log.warn(
            "inbound message from {carrier}/{bind} in data_coding 0 is all printable ASCII with "
            "@, $ or _ in it, which GSM-7 reads as \u00a1 \u00a4 \u00a7 ({text!r}): the carrier "
            'probably needs default_alphabet = "ascii" (or "latin1").  Logged once per carrier, '
            "counted in mo_ascii_hint", carrier=carrier, bind=bind, text=read.text)

    def _mo_done(self, received: inbound_store.Received) -> None:
        if received.state == "waiting":
            self.stats["mo_parts_waiting"] += 1

    def _unreadable(self, carrier: str, bind: str, pdu: Any, why: str) -> None:
        self.stats["unreadable"] += 1
        tlvs = " ".join(f"{tag:04x}={value.hex()}" for tag, value in getattr(pdu, "tlvs", ()))
        self.log.warn(
            "unreadable {command} from {carrier}/{bind}: {why}; esm_class={esm_class:#04x} "
            "data_coding={data_coding:#04x} short_message={short_message} tlvs={tlvs}",
            command=type(pdu).__name__, carrier=carrier, bind=bind, why=why,
            esm_class=getattr(pdu, "esm_class", 0), data_coding=getattr(pdu, "data_coding", 0),
            short_message=bytes(getattr(pdu, "short_message", b"")).hex(), tlvs=tlvs)
        return None

    # -- periodic jobs ----------------------------------------------------
    def sweep(self) -> Deferred:
        """Run the periodic jobs once; fires when all three writes are durable."""
        now, s = self._now(), self.settings
        pending = self.store.write(receipts_store.sweep_pending, now=now,
                                   window=timedelta(seconds=s.early_window), profiles=self.profiles)
        # once(): one node per round in a cluster (gateway.cluster.sweeps)
        missing = self.store.write(once, "missing-segments", receipts_store.sweep_missing_segments,
                                   skipped=[], now=now, timeout=timedelta(seconds=s.missing_segment_timeout),
                                   asked_first=self.asked_first)
        inbound = self.store.write(once, "reassembly", inbound_store.sweep_reassembly, skipped=[],
                                   now=now, timeout=timedelta(seconds=s.reassembly_timeout),
                                   lookup=self.numbers)
        pending.addCallback(self._count, "receipts_unmatched", lambda n: n)
        missing.addCallback(self._count, "missing_segment", len)
        inbound.addCallback(self._count, "incomplete_inbound", len)
        return DeferredList([pending, missing, inbound], consumeErrors=True).addCallback(self._swept)

    def _count(self, result: Any, key: str, size: Callable[[Any], int]) -> Any:
        self.stats[key] += size(result)
        return result

    def _swept(self, results: list) -> None:
        for ok, value in results:
            if not ok:
                self.log.failure("receipts sweep failed", value)

    def start(self) -> None:
        self._sweeps.start(self.settings.sweep_interval, now=False)

    def stop(self) -> None:
        self._sweeps.stop()
