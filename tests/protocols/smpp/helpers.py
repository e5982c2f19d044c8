"""An ESME session wired to an SMSC session in memory (like h11's ConnectionPair)."""
from __future__ import annotations

from protocols.smpp import (BindTransceiver, Event, RequestReceived, Role, Session)


class ConnectionPair:
    def __init__(self, window: int = 10, **kwargs) -> None:
        self.esme = Session(Role.ESME, window=window, **kwargs)
        self.smsc = Session(Role.SMSC, window=window, **kwargs)

    def to_smsc(self) -> list[Event]:
        """Deliver what the ESME queued; the SMSC's events."""
        return self.smsc.receive_data(self.esme.data_to_send())

    def to_esme(self) -> list[Event]:
        """Deliver what the SMSC queued; the ESME's events."""
        return self.esme.receive_data(self.smsc.data_to_send())

    def bind(self, bind=None, system_id: str = "SMSC") -> None:
        self.esme.send_request(bind or BindTransceiver(system_id="esme", password="pw"))
        (received, _changed) = self.to_smsc()
        assert isinstance(received, RequestReceived)
        self.smsc.send_response(received.pdu.response(system_id=system_id))
        self.to_esme()
        assert self.esme.is_bound and self.smsc.is_bound
