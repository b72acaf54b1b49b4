"""Payment orders (Zahlungsanordnungen) to the city treasury: the port, a fake, and `akte.payment_order`.

The handler runs in the worker's transaction: the order goes to the treasury and is filed in the case as a
JSON document (kind `payment_order`), or neither happens.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Protocol

from core.clock import Clock
from core.db import UnitOfWork
from core.errors import ValidationFailed
from integrations.common import amount_param, stable_id, text_param
from records.context import RecordsContext
from records.documents import Upload, add_document
from records.handlers import WORKER, own_case


@dataclass(frozen=True)
class PaymentOrder:
    reference: str
    invoice_number: str
    creditor: str
    iban: str
    amount: Decimal
    currency: str
    due_date: str | None
    approved_by: list[str]  # names as the approvers signed in the forms
    signed_by: list[str]  # logins of everyone who completed a task of the case's process, in order


class Treasury(Protocol):
    def order_payment(self, order: PaymentOrder) -> str:
        """Hand the order over; returns the treasury's order id (the same order twice gives the same id)."""
        ...


class FakeTreasury:
    """Accepts every order (the real one is the city's finance system, e.g. SAP or an H&H-Verfahren)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def order_payment(self, order: PaymentOrder) -> str:
        return stable_id("ZA", order.reference, order.invoice_number, order.amount)


def _approvers(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part) for part in value if str(part).strip()]
    return []


Signers = Callable[[UnitOfWork, uuid.UUID], list[str]]  # (uow, instance id) -> logins that completed its tasks


def order_payment(ctx: RecordsContext, treasury: Treasury, signers: Signers, uow: UnitOfWork,
                  params: dict[str, Any], instance_id: uuid.UUID) -> dict[str, Any]:
    """`akte.payment_order`: order the payment of an approved invoice and file the order in the case."""
    case_id = own_case(uow, params, instance_id)
    order = PaymentOrder(
        reference=str(case_id), invoice_number=text_param(params, "invoice_number"),
        creditor=text_param(params, "creditor"), iban=text_param(params, "iban").replace(" ", "").upper(),
        amount=amount_param(params), currency=str(params.get("currency") or "EUR"),
        due_date=str(params["due_date"]) if params.get("due_date") else None,
        approved_by=_approvers(params.get("approved_by")), signed_by=signers(uow, instance_id),
    )
    if order.amount <= 0:
        raise ValidationFailed(f"a payment order needs a positive amount, not {order.amount}", {"amount": "positive"})
    order_id = treasury.order_payment(order)
    record = {"payment_order_id": order_id, "ordered_at": ctx.clock.now().isoformat(),
              **asdict(order), "amount": str(order.amount)}
    content = json.dumps(record, ensure_ascii=False, indent=2).encode()
    add_document(uow, ctx, WORKER, Upload(io.BytesIO(content), f"Zahlungsanordnung-{order_id}.json",
                                          "application/json"),
                 case_id=case_id, title=f"Zahlungsanordnung {order.invoice_number}", kind="payment_order")
    return {"payment_order_id": order_id, "status": "ordered"}
