"""Small helpers shared by integration tests."""

from __future__ import annotations

from typing import Any

from core.bootstrap import Services
from engine.deploy import DeployResult, deploy
from engine.instances import start_instance
from engine.tasks import complete_task
from engine.views import InstanceView
from engine.workflow.parsing import SourceFile
from tests.conftest import MODELS


def model_files(*names: str) -> list[SourceFile]:
    return [SourceFile(name, (MODELS / name).read_bytes()) for name in names]


def deploy_models(services: Services, *names: str) -> DeployResult:
    with services.db.unit_of_work() as uow:
        result = deploy(uow, services.engine, model_files(*names))
        uow.commit()
    return result


def start(services: Services, key: str, data: dict[str, Any] | None = None, **kwargs: Any) -> InstanceView:
    with services.db.unit_of_work() as uow:
        view = start_instance(uow, services.engine, key, data or {}, **kwargs)
        uow.commit()
    return view


def complete(services: Services, task_id: str, data: dict[str, Any], user: str | None = None) -> InstanceView:
    with services.db.unit_of_work() as uow:
        view = complete_task(uow, services.engine, task_id, data, user=user)
        uow.commit()
    return view
