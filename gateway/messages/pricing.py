"""Message prices from the carriers' price tables (pure).

Rules:

* A carrier's ``[carriers.prices]`` (``config.PriceTable``) gives a price
  per destination prefix; the longest prefix of ``To`` wins, and ``"+"``
  matches every number, short codes too (as ``routes`` do).
* An SMPP carrier's price is per segment, an MM7 carrier's per message.
* No table, or no prefix matching: the message has no price (``price``
  stays null) and ``MaxPrice`` cannot be checked, so it does not stop it.
* ``MaxPrice`` is compared with the total in the table's unit; a price
  greater than it fails the message with 30010 before anything is sent.
* The SDKs expect a price as a negative decimal string (money charged):
  ``-0.00750``, at least five decimals; zero is ``0.00000``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from gateway.config.model import CarrierConfig, PriceTable

ERROR_MAX_PRICE = 30010
MAX_PRICE_MESSAGE = "Message price exceeds max price"
SHOWN_DECIMALS = Decimal("0.00001")  # "-0.00750", as the CPaaS documents show prices


@dataclass(frozen=True)
class Price:
    amount: Decimal
    unit: str

    @property
    def text(self) -> str:
        """The ``price`` field: negative, at least five decimals."""
        amount = self.amount
        if amount.as_tuple().exponent >= SHOWN_DECIMALS.as_tuple().exponent:
            amount = amount.quantize(SHOWN_DECIMALS)
        shown = format(amount, "f")
        return shown if amount == 0 else "-" + shown


def unit_price(table: PriceTable, destination: str) -> Decimal | None:
    """The price of the longest prefix of ``destination``, or None."""
    short_code = not destination.startswith("+")
    for prefix, price in table.prefixes:  # longest first
        if destination.startswith(prefix) or (short_code and prefix == "+"):
            return price
    return None


def message_price(carrier: CarrierConfig, destination: str, num_segments: int) -> Price | None:
    if carrier.prices is None:
        return None
    price = unit_price(carrier.prices, destination)
    if price is None:
        return None
    units = max(1, num_segments) if carrier.protocol == "smpp" else 1
    return Price(price * units, carrier.prices.unit)


def exceeds(price: Price | None, max_price: str | None) -> bool:
    """True when a known price is above the message's ``MaxPrice``."""
    return price is not None and max_price is not None and price.amount > Decimal(max_price)


class PriceBook:
    """The carriers' tables by name (immutable; SIGHUP builds a new one)."""

    def __init__(self, carriers: Iterable[CarrierConfig] = ()):
        self._carriers = {carrier.name: carrier for carrier in carriers}

    def price(self, carrier: str, destination: str, num_segments: int) -> Price | None:
        config = self._carriers.get(carrier)
        return None if config is None else message_price(config, destination, num_segments)
