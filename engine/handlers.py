"""Registry of named service-task handlers (`@service_task("akte.send_mail")`).

Deployment checks every service task of a model against this registry, so a model that names a handler
nobody registered is rejected up front instead of waiting forever at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if not name or name.strip() != name:
            raise ValueError(f"invalid service task handler name {name!r}")
        self._handlers[name] = handler

    def is_registered(self, name: str) -> bool:
        return name in self._handlers

    def get(self, name: str) -> Handler:
        return self._handlers[name]

    def names(self) -> list[str]:
        return sorted(self._handlers)


DEFAULT_REGISTRY = HandlerRegistry()


def service_task(name: str, registry: HandlerRegistry = DEFAULT_REGISTRY) -> Callable[[Handler], Handler]:
    """Decorator registering `handler` under `name` (called at start-up from core.bootstrap wiring)."""

    def decorate(handler: Handler) -> Handler:
        registry.register(name, handler)
        return handler

    return decorate


class BpmnError(Exception):
    """Raised by a handler to throw a BPMN error: an error boundary event with this code catches it."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
