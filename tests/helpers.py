"""Small helpers shared by integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from core.bootstrap import Services
from engine.deploy import DeployResult, deploy
from engine.instances import get_instance, start_instance
from engine.tasks import complete_task
from engine.views import InstanceView
from engine.workflow.parsing import SourceFile
from tests.conftest import MODELS, REPO

AKTE = [sys.executable, "-c", "from web.cli import main; main()"]


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


def instance(services: Services, instance_id: str) -> InstanceView:
    """The process instance with its history."""
    with services.db.unit_of_work() as uow:
        return get_instance(uow, instance_id, with_history=True)


def complete(services: Services, task_id: str, data: dict[str, Any], user: str | None = None) -> InstanceView:
    with services.db.unit_of_work() as uow:
        view = complete_task(uow, services.engine, task_id, data, user=user)
        uow.commit()
    return view


def akte_env(services: Services) -> dict[str, str]:
    """The environment that points an `akte` subprocess at the same database and document store."""
    settings = services.settings
    env = dict(os.environ, AKTE_DATABASE_URL=settings.database_url, AKTE_DATA_DIR=str(settings.data_dir),
               AKTE_BLOB_URL=settings.blob_url)
    if settings.s3_access_key and settings.s3_secret_key:
        env.update(AKTE_S3_ACCESS_KEY=settings.s3_access_key,
                   AKTE_S3_SECRET_KEY=settings.s3_secret_key.get_secret_value())
    return env


def akte(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `akte ARGS...` as a real subprocess against the test's database and store."""
    return subprocess.run([*AKTE, *args], capture_output=True, text=True, env=akte_env(services), cwd=REPO,
                          timeout=300)
