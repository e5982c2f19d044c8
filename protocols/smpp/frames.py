"""The simulator's submit_sm lane: read a frame in place, answer in bytes (pure).

Rules:

* ``scan_submit(frame)`` reads the fields a receipt needs straight from a
  whole submit_sm frame (or deliver_sm: the same layout; ``scan_message``
  also tells where the TLVs begin, ``find_tlv`` reads one), and accepts exactly the frames the codec's
  ``decode`` accepts (the test fuzzes the two against each other): it
  returns None for any frame ``decode`` would refuse, so the session's
  normal path answers that one with the decoder's error status.
* The receipt's deliver_sm body is built from slices of the submit_sm: its
  source is the submit's destination (ton, npi, address) and the other way
  round, with the same layout as ``encode(DeliverSm(...))`` (the test
  compares the two).
* ``RecentSubmits`` keeps the latest submit_sm as frames or PDUs and
  decodes a frame only when someone reads it (tests, demos).
"""
from __future__ import annotations

from collections import deque
from struct import Struct
from typing import Any, Iterator, NamedTuple

from protocols.smpp.codec import decode
from protocols.smpp.constants import CommandId, Tag

_TLV_HEAD = Struct(">HH")
_HEADER = Struct(">IIII").pack
_RESP_ID = CommandId.SUBMIT_SM_RESP
_PAYLOAD = Tag.MESSAGE_PAYLOAD
# receipt deliver_sm after the two addresses: esm_class 0x04, protocol_id,
# priority_flag, schedule_delivery_time "", validity_period "",
# registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
_RECEIPT_MIDDLE = b"\x04\x00\x00\x00\x00\x00\x00\x00\x00"


class SubmitView(NamedTuple):
    registered_delivery: int
    source: bytes          # source_addr_ton, source_addr_npi, source_addr, NUL
    destination: bytes     # dest_addr_ton, dest_addr_npi, destination_addr, NUL
    esm_class: int
    data_coding: int
    text: bytes            # short_message, or message_payload when that is empty


_new_view = tuple.__new__  # a NamedTuple's own __new__ is a lambda: a call more per submit_sm


def scan_submit(frame: bytes) -> SubmitView | None:
    """The receipt's fields of a whole submit_sm frame, or None if it does not decode."""
    scanned = scan_message(frame)
    return None if scanned is None else scanned[0]


def find_tlv(frame: bytes, pos: int, tag: int) -> bytes | None:
    """The value of the first TLV ``tag`` from ``pos`` on, in a frame ``scan_message`` passed."""
    size = len(frame)
    while pos < size:
        found, length = _TLV_HEAD.unpack_from(frame, pos)
        pos += 4 + length
        if found == tag:
            return frame[pos - length:pos]
    return None


def scan_message(frame: bytes) -> tuple[SubmitView, int] | None:
    """``scan_submit``'s view and where the TLVs begin, or None if it does not decode."""
    index = frame.index
    try:
        source = index(b"\0", 16) + 1           # after service_type
        destination = index(b"\0", source + 2) + 1
        p = addresses_end = index(b"\0", destination + 2) + 1   # at esm_class
        esm_class = frame[p]
        p = index(b"\0", p + 3) + 1             # after schedule_delivery_time
        p = index(b"\0", p) + 1                 # after validity_period
        registered_delivery = frame[p]
        data_coding = frame[p + 2]
        n = frame[p + 4]
    except (ValueError, IndexError):
        return None
    start = p + 5
    end = start + n
    size = len(frame)
    if end > size:
        return None
    text = frame[start:end]
    while end < size:  # the TLVs: framed exactly as the codec reads them
        if size - end < 4:
            return None
        tag, length = _TLV_HEAD.unpack_from(frame, end)
        end += 4 + length
        if end > size:
            return None
        if tag == _PAYLOAD and not text:
            text = frame[end - length:end]
    return _new_view(SubmitView, (registered_delivery, frame[source:destination],
                                  frame[destination:addresses_end], esm_class, data_coding,
                                  text)), start + n


def view_of(pdu: Any) -> SubmitView:
    """The same view of a decoded SubmitSm (the simulator's slow path)."""
    return SubmitView(
        pdu.registered_delivery,
        b"%c%c%b\0" % (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr.encode("latin-1")),
        b"%c%c%b\0" % (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr.encode("latin-1")),
        pdu.esm_class, pdu.data_coding, pdu.short_message or pdu.tlv_raw(_PAYLOAD) or b"")


def submit_sm_resp(sequence_number: int, message_id: bytes) -> bytes:
    """The wire bytes of an ESME_ROK submit_sm_resp."""
    return _HEADER(17 + len(message_id), _RESP_ID, 0, sequence_number) + message_id + b"\0"


def receipt_body(view: SubmitView, text: bytes, tlvs: bytes) -> bytes:
    """The body of the receipt deliver_sm for ``view`` (the rules above)."""
    return b"\0%b%b%b%c%b%b" % (view.destination, view.source, _RECEIPT_MIDDLE, len(text),
                                 text, tlvs)


class RecentSubmits:
    """The latest ``maxlen`` submit_sm, frames decoded when read."""

    def __init__(self, maxlen: int = 10000) -> None:
        self._items: deque = deque(maxlen=maxlen)
        self.append = self._items.append

    def _pdu(self, item: Any) -> Any:
        return decode(item) if type(item) is bytes else item

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return (self._pdu(item) for item in list(self._items))

    def __getitem__(self, index: int) -> Any:
        return self._pdu(self._items[index])
