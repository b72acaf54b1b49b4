"""Parameter checks shared by the integration handlers."""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ValidationFailed


def text_param(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or not str(value).strip():
        raise ValidationFailed(f"parameter {name!r} is required", {name: "required"})
    return str(value).strip()


def amount_param(params: dict[str, Any], name: str = "amount") -> Decimal:
    value = params.get(name)
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"parameter {name!r} must be an amount such as 25.30, not {value!r}",
                               {name: "amount"}) from None
    return amount


def stable_id(prefix: str, *parts: object) -> str:
    """The same id for the same request: a retried handler call does not order or charge twice."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:12].upper()
    return f"{prefix}-{digest}"
