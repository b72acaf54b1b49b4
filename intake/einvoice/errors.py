"""The one exception of the e-invoice check: input that cannot (or must not) be read at all."""

from __future__ import annotations

from core.errors import ValidationFailed


class UnreadableInvoice(ValidationFailed):
    """Neither XML nor PDF, hostile or oversized XML, an undecodable or oversized PDF attachment.

    Everything else (not well-formed XML, an unknown document, failed rules) is a finding in the result.
    """

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}", {"file": reason})
        self.filename = filename
        self.reason = reason
