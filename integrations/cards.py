"""Driving-licence cards: the manufacturer port (`CardManufacturer`), a fake, and the `akte.card_order` handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.clock import Clock
from integrations.common import stable_id, text_param


@dataclass(frozen=True)
class CardOrder:
    order_id: str
    ordered_at: datetime


class CardManufacturer(Protocol):
    def order(self, reference: str, licence_number: str, licence_class: str, holder: str) -> CardOrder:
        """Order a card; the same reference and licence number never order twice."""
        ...


class FakeCardManufacturer:
    """Confirms every order at once (the real one answers from the Bundesdruckerei's ordering interface)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def order(self, reference: str, licence_number: str, licence_class: str, holder: str) -> CardOrder:
        return CardOrder(stable_id("FS", reference, licence_number), self.clock.now())


def order_card(manufacturer: CardManufacturer, params: dict[str, Any]) -> dict[str, Any]:
    """`akte.card_order`: order the new card for `applicant_name` with `licence_number` and `licence_class`."""
    placed = manufacturer.order(text_param(params, "case_id"), text_param(params, "licence_number"),
                                text_param(params, "licence_class"), text_param(params, "applicant_name"))
    return {"order_id": placed.order_id, "ordered_at": placed.ordered_at.isoformat()}
