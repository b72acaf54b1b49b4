"""Fees: the payment port (`PaymentProvider`), a fake provider for the demo, and the `akte.payment` handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.clock import Clock
from engine.handlers import BpmnError
from integrations.common import amount_param, stable_id, text_param

DECLINED = "PAYMENT_DECLINED"  # BPMN error code a model catches with an error boundary event


@dataclass(frozen=True)
class PaymentReceipt:
    transaction_id: str
    amount: Decimal
    paid_at: datetime
    provider: str


class PaymentDeclined(Exception):
    """The provider refused the payment (card declined, mandate missing …); the message says why."""


class PaymentProvider(Protocol):
    name: str

    def collect(self, reference: str, amount: Decimal, purpose: str, payer: str) -> PaymentReceipt:
        """Collect `amount` EUR; the same `reference` and amount never charge twice. Raises PaymentDeclined."""
        ...


class FakePaymentProvider:
    """Accepts every payment except amounts ≤ 0 and payers whose name contains "ABGELEHNT" (for demos)."""

    name = "fake"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def collect(self, reference: str, amount: Decimal, purpose: str, payer: str) -> PaymentReceipt:
        if amount <= 0:
            raise PaymentDeclined(f"amount {amount} is not positive")
        if "ABGELEHNT" in payer.upper():
            raise PaymentDeclined("the payment was declined by the provider")
        return PaymentReceipt(stable_id("PAY", reference, amount, purpose), amount, self.clock.now(), self.name)


def collect_fee(provider: PaymentProvider, params: dict[str, Any]) -> dict[str, Any]:
    """`akte.payment`: charge `amount` for `purpose` to `payer`; a refusal is the BPMN error PAYMENT_DECLINED."""
    try:
        receipt = provider.collect(text_param(params, "case_id"), amount_param(params), text_param(params, "purpose"),
                                   text_param(params, "payer"))
    except PaymentDeclined as exc:
        raise BpmnError(DECLINED, str(exc)) from exc
    return {"transaction_id": receipt.transaction_id, "status": "paid", "amount": float(receipt.amount),
            "paid_at": receipt.paid_at.isoformat(), "provider": receipt.provider}
