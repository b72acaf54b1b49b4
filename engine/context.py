"""What engine services need besides a unit of work: the runtime, handler registry, clock and limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.clock import Clock
from engine.handlers import HandlerRegistry
from engine.workflow.runtime import SpiffRuntime


@dataclass(frozen=True)
class EngineContext:
    runtime: SpiffRuntime
    handlers: HandlerRegistry
    clock: Clock
    max_model_bytes: int
    message_buffer: timedelta = timedelta(days=7)
