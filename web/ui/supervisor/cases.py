"""Supervisor pages: cases (routes on the `supervisor` blueprint)."""

from __future__ import annotations

from web.ui.supervisor import bp

__all__ = ["bp"]
