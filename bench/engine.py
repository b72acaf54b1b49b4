"""Engine benchmark: full lifecycle of a two-user-task process, akte vs. raw SpiffWorkflow, in one run.

akte: deploy once; per instance start, complete two user tasks, end — every step one committed
transaction (state, human-task rows, history). Raw: SpiffWorkflow with a `BpmnWorkflowSerializer`
JSON round-trip (serialize + deserialize, in memory) after every step.

    python -m bench.engine --backend sqlite|postgresql [--instances N]

Last line: `RESULT backend=<sqlite|postgresql> ratio=<akte/raw>`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MODEL = Path(__file__).resolve().parent / "models" / "two_user_tasks.bpmn"
PROCESS = "two_user_tasks"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"akte_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_akte(url: str, instances: int) -> tuple[float, int]:
    from core.bootstrap import bootstrap
    from core.migrate import upgrade
    from core.settings import load_settings
    from engine.deploy import deploy
    from engine.instances import start_instance
    from engine.models import ProcessInstance
    from engine.tasks import complete_task
    from engine.workflow.parsing import SourceFile

    services = bootstrap(load_settings(database_url=url, data_dir=Path(tempfile.mkdtemp())))
    upgrade(services.db)
    db, ctx = services.db, services.engine
    with db.unit_of_work() as uow:
        deploy(uow, ctx, [SourceFile(MODEL.name, MODEL.read_bytes())])
        uow.commit()
    started = time.perf_counter()
    last_id = ""
    for number in range(instances):
        with db.unit_of_work() as uow:
            view = start_instance(uow, ctx, PROCESS, {"number": number})
            uow.commit()
        for data in ({"applicant": "Erika", "amount": number}, {"approved": number % 2 == 0}):
            with db.unit_of_work() as uow:
                view = complete_task(uow, ctx, view.open_tasks[0].id, data)
                uow.commit()
        assert view.status == "completed", view
        last_id = view.id
    elapsed = time.perf_counter() - started
    with db.unit_of_work() as uow:
        row = uow.session.get(ProcessInstance, uuid.UUID(last_id))
        state_size = len(row.state) if row else 0
    db.dispose()
    return instances / elapsed, state_size


def run_raw(instances: int) -> tuple[float, int]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(MODEL))
    spec, subprocesses = parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    size = 0

    def round_trip(workflow: BpmnWorkflow) -> BpmnWorkflow:
        nonlocal size
        dumped = serializer.serialize_json(workflow)
        size = len(dumped)
        return serializer.deserialize_json(dumped)

    started = time.perf_counter()
    for number in range(instances):
        workflow = BpmnWorkflow(spec, subprocesses)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update({"number": number})
        workflow.do_engine_steps()
        workflow = round_trip(workflow)
        for data in ({"applicant": "Erika", "amount": number}, {"approved": number % 2 == 0}):
            [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            workflow = round_trip(workflow)
        assert workflow.completed
    return instances / (time.perf_counter() - started), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--instances", type=int, default=300)
    args = parser.parse_args()
    run_raw(20)  # warm-up: imports, first parse
    with database_url(args.backend) as url:
        akte_rate, akte_size = run_akte(url, args.instances)
    raw_rate, raw_size = run_raw(args.instances)
    print(f"backend={args.backend} instances={args.instances}")
    print(f"akte: {akte_rate:8.1f} instances/s  state {akte_size} bytes (spec stored once per version)")
    print(f"raw:  {raw_rate:8.1f} instances/s  state {raw_size} bytes (spec inside every state)")
    print(json.dumps({"akte_per_s": round(akte_rate, 1), "raw_per_s": round(raw_rate, 1)}))
    print(f"RESULT backend={args.backend} ratio={akte_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
