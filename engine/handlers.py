"""Registry of named service-task handlers (`@service_task("akte.send_mail")`).

Deployment checks every service task of a model against this registry, so a model that names a handler
nobody registered is rejected up front instead of waiting forever at run time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from core.db import UnitOfWork

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
# a handler that works inside the worker's transaction (its changes commit or roll back with the task's);
# it also learns which process instance calls it
TransactionalHandler = Callable[[UnitOfWork, dict[str, Any], uuid.UUID], dict[str, Any] | None]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._transactional: dict[str, TransactionalHandler] = {}

    @staticmethod
    def _check_name(name: str) -> None:
        if not name or name.strip() != name:
            raise ValueError(f"invalid service task handler name {name!r}")

    def register(self, name: str, handler: Handler) -> None:
        self._check_name(name)
        self._handlers[name] = handler

    def register_transactional(self, name: str, handler: TransactionalHandler) -> None:
        """Register a handler that receives the worker's unit of work (e.g. to change the e-file atomically)."""
        self._check_name(name)
        self._transactional[name] = handler

    def call(self, name: str, uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID) -> dict[str, Any] | None:
        """Run handler `name`; a transactional handler's changes are undone if it raises (savepoint)."""
        transactional = self._transactional.get(name)
        if transactional is None:
            return self._handlers[name](params)
        with uow.session.begin_nested():
            return transactional(uow, params, instance_id)

    def is_registered(self, name: str) -> bool:
        return name in self._handlers or name in self._transactional

    def names(self) -> list[str]:
        return sorted({*self._handlers, *self._transactional})


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
