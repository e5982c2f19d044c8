"""The load tester's receipt matching (a mixin of BenchRunner).

A receipt's id is read from its receipted_message_id TLV, else from the
``id:`` of its text.  It matches an accepted submit_sm_resp id exactly
(case aside); a receipt that comes before its response, or spells the id
another way (hex vs decimal, leading zeros:
``gateway.sms.receipts.correlation.match_keys``), waits in ``early``.  When
the submits are over ``_reconcile`` pairs those, and later receipts are
looked up in the index it leaves.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gateway.sms.receipts.correlation import match_keys
from protocols.smpp.constants import Tag

_ID_IN_TEXT = re.compile(rb"id:(\S+)", re.IGNORECASE)


class ReceiptMatching:
    clock: Any
    ids: set[str]           # accepted ids still waiting for a receipt
    early: set[str]         # receipt ids not matched (yet)
    receipts_received: int
    receipts_matched: int
    first_receipt: float
    last_receipt: float
    _submits_done: bool
    _by_key: dict[str, list[str]]

    if TYPE_CHECKING:  # BenchRunner's
        def _check_receipts(self) -> None: ...

    def _on_deliver(self, pdu: Any) -> None:
        message_id = None
        for tag, value in pdu.tlvs:
            if tag == Tag.RECEIPTED_MESSAGE_ID:
                message_id = value.rstrip(b"\0").decode("latin-1")
                break
        if message_id is None:
            found = _ID_IN_TEXT.search(pdu.short_message)
            if found is None:
                return None
            message_id = found.group(1).decode("latin-1")
        self._on_receipt_id(message_id)
        return None

    def _on_receipt_id(self, message_id: str) -> None:
        """A receipt for ``message_id`` came (from ``_on_deliver`` or the bind's lane)."""
        self.receipts_received += 1
        now = self.clock.seconds()
        if not self.first_receipt:
            self.first_receipt = now
        self.last_receipt = now
        key = message_id.lower()
        if key in self.ids:
            self.ids.discard(key)
            self.receipts_matched += 1
        elif not (self._submits_done and self._match_respelled(key)):
            self.early.add(key)  # before its response, another spelling, or not ours
        if self._submits_done:
            self._check_receipts()

    def _match_respelled(self, receipt_id: str) -> bool:
        """After the submits: one receipt against the index of ids still waiting."""
        for k in match_keys(receipt_id):
            for sent_id in self._by_key.get(k, ()):
                if sent_id in self.ids:
                    self.ids.discard(sent_id)
                    self.receipts_matched += 1
                    return True
        return False

    def _reconcile(self) -> None:
        """Match receipts whose id is spelled differently (hex vs decimal, zeros).

        An all-digit id reads both ways ("10" is ten or sixteen), so a receipt
        may meet two sent ids; receipts with the fewest candidates pair first,
        so an ambiguous one never takes the only partner of another.  Runs
        once when the submits are over (later receipts use the index it
        leaves) and once at the end.
        """
        by_key: dict[str, list[str]] = {}
        for sent_id in self.ids:
            for k in match_keys(sent_id):
                by_key.setdefault(k, []).append(sent_id)
        self._by_key = by_key
        candidates = {receipt_id: {s for k in match_keys(receipt_id) for s in by_key.get(k, ())}
                      for receipt_id in self.early}
        for receipt_id in sorted(candidates, key=lambda r: (len(candidates[r]), r)):
            left = candidates[receipt_id] & self.ids
            if left:
                self.ids.discard(min(left, key=lambda s: (len(s), s)))
                self.early.discard(receipt_id)
                self.receipts_matched += 1

