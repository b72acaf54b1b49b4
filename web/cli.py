"""The `akte` command line. Conventions (all commands):

* a command that creates something prints the new id alone on stdout;
* listing commands take `--json` and then print a JSON array of objects;
* errors go to stderr as one line (model problems: one `FILE:LINE: ELEMENT: message` line each);
  exit 2 for invalid input, 3 for not found or conflict, 1 for anything unexpected. Never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from core.errors import AkteError, ConfigurationError, Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import load_settings
from web.cli_demo import register as register_demo
from web.cli_einvoice import register as register_einvoice
from web.cli_intake import register as register_intake
from web.cli_ops import register as register_ops
from web.cli_records import register as register_records
from web.cli_search import register as register_search
from web.cli_support import parse_json, print_json, print_rows, services_from_env
from web.cli_users import register as register_users

EXIT_INVALID, EXIT_NOT_FOUND = 2, 3
MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn", ".json", ".html")


class AkteGroup(click.Group):
    """Turns every error into one readable line and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except AkteError as error:
            _fail(error)
        except Exception as error:  # last resort: one line, never a traceback
            click.echo(f"akte: internal error: {type(error).__name__}: {error}", err=True)
            sys.exit(1)


def _fail(error: AkteError) -> None:
    problems = getattr(error, "problems", None)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"akte: {error.message}", err=True)
    sys.exit(EXIT_INVALID if isinstance(error, ValidationFailed | ConfigurationError) else
             EXIT_NOT_FOUND if isinstance(error, NotFound | Conflict | Forbidden) else 1)


@click.group(cls=AkteGroup)
@click.version_option(package_name="akte")
def cli() -> None:
    """akte — e-file and case processing for city administrations."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (an empty one is created)."""
    from core.migrate import head_revision, upgrade

    with services_from_env() as services:
        upgrade(services.db)
        click.echo(f"database at revision {head_revision(services.db)}", err=True)


def expand_model_paths(paths: tuple[str, ...]) -> list[Path]:
    """Files as given; folders contribute every BPMN, DMN, JSON form and HTML letter template below them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(MODEL_SUFFIXES)))
        else:
            found.append(path)
    return found


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--user", help="Recorded as the deploying user.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def deploy(paths: tuple[str, ...], user: str | None, as_json: bool) -> None:
    """Validate and deploy BPMN, DMN, JSON form and HTML letter template files (or folders of them) as new versions."""
    from engine.deploy import deploy as deploy_models
    from engine.deploy import read_source_files

    with services_from_env() as services:
        files = read_source_files(expand_model_paths(paths), services.settings.max_model_bytes)
        if not files:
            raise ValidationFailed("no BPMN, DMN or form files found in " + " ".join(paths))
        with services.db.unit_of_work() as uow:
            result = deploy_models(uow, services.engine, files, deployed_by=user)
            uow.commit()
    for warning in result.warnings:
        click.echo(f"{warning} (warning)", err=True)
    if as_json:
        print_json(result)
        return
    if result.deployment_id is not None:
        click.echo(result.deployment_id)
    for process in result.processes:
        state = "new version" if process.new_version else "unchanged"
        click.echo(f"{process.key} v{process.version} ({state})", err=True)


@cli.group()
def definition() -> None:
    """Deployed process definitions."""


@definition.command("list")
@click.option("--key", help="Only versions of this process.")
@click.option("--json", "as_json", is_flag=True)
def definition_list(key: str | None, as_json: bool) -> None:
    """List deployed process versions."""
    from engine.deploy import list_definitions

    with services_from_env() as services, services.db.unit_of_work() as uow:
        rows = list_definitions(uow, key=key)
    print_rows(rows, as_json,
               lambda row: f"{row.key}\tv{row.version}\t{row.name}\t{row.deployed_at}\t{row.sha256[:12]}")


@cli.group()
def instance() -> None:
    """Process instances."""


@instance.command("start")
@click.argument("key")
@click.option("--data", help="Initial process data as a JSON object.")
@click.option("--business-key", help="Business key (e.g. a reference number).")
@click.option("--version", "version", type=int, help="Start this version instead of the latest.")
@click.option("--user", help="Recorded as the starting user.")
def instance_start(key: str, data: str | None, business_key: str | None, version: int | None,
                   user: str | None) -> None:
    """Start an instance of process KEY; prints its id."""
    from engine.instances import start_instance

    payload = parse_json(data, "--data")
    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = start_instance(uow, services.engine, key, payload, business_key=business_key,
                              started_by=user, version=version)
        uow.commit()
    click.echo(view.id)


@instance.command("show")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
def instance_show(instance_id: str, as_json: bool) -> None:
    """Show an instance: status, data, open tasks, incidents and history."""
    from engine.instances import get_instance

    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = get_instance(uow, instance_id, with_history=True)
    if as_json:
        print_json(view)
        return
    click.echo(f"{view.id}  {view.process_key} v{view.process_version}  {view.status}")
    click.echo(f"data: {json.dumps(view.data, ensure_ascii=False)}")
    for task in view.open_tasks:
        click.echo(f"open task {task.id}  {task.name}  groups={','.join(task.candidate_groups)}")
    for incident in view.incidents:
        click.echo(f"incident {incident.id}  {incident.element_id}: {incident.message}")
    for event in view.history:
        who = f" by {event.actor}" if event.actor else ""
        click.echo(f"{event.created_at}  {event.kind}  {event.element_id or ''}{who}")


@cli.group()
def task() -> None:
    """Human tasks."""


@task.command("list")
@click.option("--instance", "instance_id", help="Only tasks of this instance.")
@click.option("--assignee", help="Only tasks assigned to this user.")
@click.option("--json", "as_json", is_flag=True)
def task_list(instance_id: str | None, assignee: str | None, as_json: bool) -> None:
    """List open tasks."""
    from engine.tasks import list_tasks

    with services_from_env() as services, services.db.unit_of_work() as uow:
        rows = list_tasks(uow, instance_id=instance_id, assignee=assignee)
    print_rows(rows, as_json, lambda row: f"{row.id}\t{row.name}\t{row.process_key}\t{row.assignee or '-'}\t"
                                          f"{','.join(row.candidate_groups) or '-'}\t{row.due or '-'}\t{row.priority}")


@task.command("complete")
@click.argument("task_id")
@click.option("--data", required=True, help="The form data as a JSON object.")
@click.option("--user", help="The completing user.")
def task_complete(task_id: str, data: str, user: str | None) -> None:
    """Complete TASK_ID with --data (validated against the task's form)."""
    from engine.tasks import complete_task

    payload = parse_json(data, "--data")
    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = complete_task(uow, services.engine, task_id, payload, user=user)
        uow.commit()
    click.echo(f"instance {view.id} is {view.status}; {len(view.open_tasks)} open task(s)", err=True)


@cli.command()
@click.option("--host", help="Bind address (default AKTE_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default AKTE_PORT, 5000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application with waitress (a production WSGI server; AKTE_WEB_THREADS threads)."""
    from waitress import serve as waitress_serve

    from web.app import create_app, freeze_startup_objects

    settings = load_settings()
    app = create_app(settings)
    freeze_startup_objects()
    host, port = host or settings.host, port or settings.port
    click.echo(f"akte: serving http://{host}:{port} with {settings.web_threads} threads", err=True)
    waitress_serve(app, host=host, port=port, threads=settings.web_threads, ident="akte")


register_ops(cli, instance)
register_records(cli)
register_search(cli)
register_users(cli)
register_einvoice(cli)
register_intake(cli)
register_demo(cli)


def main() -> None:
    cli(prog_name="akte")
