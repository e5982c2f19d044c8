"""What the SMSC sends an ESME, and the answers (a mixin of EsmeProtocol).

* deliver_sm / data_sm go to ``deliver_handler(pdu)``; the response is sent
  when its Deferred fires (ESME_ROK) or fails (ESME_RX_T_APPN, a temporary
  error, so the SMSC delivers it again); at once for any other return value.
* unbind is answered and the connection closed after the write.
* Any other request is answered ESME_RINVCMDID; outbind and
  alert_notification (no response) are logged.

Uses the protocol's ``session``, ``deliver_handler``, ``name``, ``flush()``.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from gateway.carriers.smpp.errors import ESME_RX_T_APPN
from protocols.smpp.constants import CommandStatus
from protocols.smpp.errors import LocalProtocolError
from protocols.smpp.fast import fast_constructor
from protocols.smpp.pdu import DataSm, DataSmResp, DeliverSm, DeliverSmResp, Pdu, Unbind

log = Logger()
# One answer per MO or receipt: built through the slots, without keyword packing.
_ANSWERS = {DeliverSm: fast_constructor(DeliverSmResp), DataSm: fast_constructor(DataSmResp)}


def _answer(pdu: Pdu, command_status: int = 0) -> Pdu:
    return _ANSWERS[type(pdu)](command_status=command_status,
                               sequence_number=pdu.sequence_number)


class InboundRequests:
    session: Any
    deliver_handler: Any
    name: str
    draining: bool
    delivers: int
    _close_after_flush: bool

    def flush(self) -> None:
        raise NotImplementedError

    def _on_request(self, pdu: Pdu) -> None:
        kind = type(pdu)
        if kind is DeliverSm or kind is DataSm:
            self.delivers += 1
            self._deliver(pdu)
        elif kind is Unbind:
            log.info("{bind}: SMSC unbinds", bind=self.name)
            self.draining = True
            self._respond(pdu.response())
            self._close_after_flush = True
        elif pdu.response_type is not None:  # nothing else is ours to accept
            self._respond(pdu.response(command_status=CommandStatus.ESME_RINVCMDID))
        else:
            log.info("{bind}: ignoring {pdu}", bind=self.name, pdu=kind.__name__)

    def _deliver(self, pdu: Pdu) -> None:
        handler = self.deliver_handler
        if handler is None:
            self._respond(_answer(pdu))
            return
        try:
            result = handler(pdu)
        except Exception:
            log.failure("{bind}: deliver handler failed", bind=self.name)
            self._respond(_answer(pdu, ESME_RX_T_APPN))
            return
        if not isinstance(result, Deferred):
            self._respond(_answer(pdu))
            return
        result.addCallbacks(self._delivered, self._deliver_failed,
                            callbackArgs=(pdu,), errbackArgs=(pdu,))

    def _delivered(self, _: Any, pdu: Pdu) -> None:
        self._respond(_answer(pdu))
        self.flush()

    def _deliver_failed(self, failure: Any, pdu: Pdu) -> None:
        log.failure("{bind}: deliver handler failed; asking the SMSC to retry",
                    failure, bind=self.name)
        self._respond(_answer(pdu, ESME_RX_T_APPN))
        self.flush()

    def _respond(self, response: Pdu) -> None:
        try:
            self.session.send_response(response)
        except LocalProtocolError as e:  # connection gone: the SMSC will redeliver
            log.info("{bind}: response not sent: {error}", bind=self.name, error=str(e))
