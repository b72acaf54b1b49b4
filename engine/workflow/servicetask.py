"""Service tasks that wait for the worker instead of running inside `do_engine_steps`.

Spiff runs a service task as part of the engine steps, i.e. inside the HTTP request that completed the
previous task. akte's `DeferredServiceTask` returns None from its run hook, which leaves the task STARTED;
the worker later calls the registered handler (outside any Spiff call), stores its result and completes the
task. The class is registered with the parser and with the serializer under its own type name.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask


class DeferredServiceTask(ServiceTask):
    def _execute(self, task: Any) -> None:
        return None  # STARTED: the worker runs the handler and completes the task


PARSER_OVERRIDES: dict[str, tuple[type, type]] = {full_tag("serviceTask"): (ServiceTaskParser, DeferredServiceTask)}
SERIALIZER_CONFIG: dict[type, type] = {DeferredServiceTask: ServiceTaskConverter}
