"""`akte worker`, `akte message send`, `akte incident …` and instance lifecycle commands."""

from __future__ import annotations

import logging
from collections.abc import Callable

import click

from core.errors import ValidationFailed
from web.cli_support import parse_json, print_rows, services_from_env


def _parse_correlation(pairs: tuple[str, ...]) -> dict[str, str]:
    correlate: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationFailed(f"--correlate {pair!r} is not KEY=VALUE")
        correlate[key.strip()] = value
    return correlate


@click.command()
@click.option("--once", is_flag=True, help="Run every due job, then exit (instead of polling for ever).")
@click.option("--batch", default=100, show_default=True, help="Jobs per round before checking for a stop signal.")
def worker(once: bool, batch: int) -> None:
    """Fire due timers, run service-task handlers, take in and process e-invoices (mailbox, drop folder),
    extract and index documents (several may run at once)."""
    from engine.worker import Worker, install_signal_handlers
    from intake.dropfolder import scan_step
    from intake.mail import MailPoller
    from intake.process import process_step
    from search.extraction import extract_pending
    from search.indexer import drain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # Spiff logs every task state change at INFO
    with services_from_env() as services:
        steps: list[Callable[[], int]] = [  # take in, then process, then extract and index
            MailPoller(services), lambda: scan_step(services), lambda: process_step(services),
            lambda: extract_pending(services.db, services.search), lambda: drain(services.db, services.search)]
        runner = Worker(services.db, services.engine, poll_seconds=services.settings.worker_poll_seconds,
                        batch=batch, steps=steps)
        install_signal_handlers(runner)
        if once:
            done = runner.run_until_idle()
            click.echo(f"{done} job(s) done", err=True)
            return
        click.echo(f"akte worker polling every {services.settings.worker_poll_seconds:g} s", err=True)
        runner.run_forever(lambda n: logging.getLogger("akte.worker").info("%d job(s) done", n))


@click.group()
def message() -> None:
    """Messages to waiting process instances."""


@message.command("send")
@click.argument("name")
@click.option("--correlate", "pairs", multiple=True, metavar="KEY=VALUE",
              help="Correlation key from process data (repeatable); business_key=… matches the business key.")
@click.option("--data", help="Message payload as a JSON object (becomes process data).")
@click.option("--all", "deliver_to_all", is_flag=True, help="Deliver to every matching instance.")
@click.option("--user", help="Recorded as the sender.")
def message_send(name: str, pairs: tuple[str, ...], data: str | None, deliver_to_all: bool,
                 user: str | None) -> None:
    """Send message NAME; prints the receiving instance ids (exit 3 if none or ambiguous)."""
    from engine.messages import send_message

    correlate = _parse_correlation(pairs)
    payload = parse_json(data, "--data")
    with services_from_env() as services, services.db.unit_of_work() as uow:
        result = send_message(uow, services.engine, name, correlate, payload, deliver_to_all=deliver_to_all,
                              actor=user)
        uow.commit()
    for instance_id in result.instance_ids:
        click.echo(instance_id)
    click.echo(f"message {name!r} {result.outcome} ({len(result.instance_ids)} instance(s))", err=True)


@click.group()
def incident() -> None:
    """Incidents: failed tasks that wait for a decision."""


@incident.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved incidents.")
@click.option("--instance", "instance_id", help="Only incidents of this instance.")
@click.option("--json", "as_json", is_flag=True)
def incident_list(show_all: bool, instance_id: str | None, as_json: bool) -> None:
    """List open incidents."""
    from engine.lifecycle import list_incidents

    with services_from_env() as services, services.db.unit_of_work() as uow:
        rows = list_incidents(uow, open_only=not show_all, instance_id=instance_id)
    print_rows(rows, as_json, lambda row: f"{row.id}\t{row.instance_id}\t{row.element_id}\t{row.created_at}\t"
                                          f"{row.message}")


@incident.command("retry")
@click.argument("incident_id", type=int)
@click.option("--user", help="Recorded as the user who retried.")
def incident_retry(incident_id: int, user: str | None) -> None:
    """Resolve INCIDENT_ID and resume its instance (the failed step runs again)."""
    from engine.lifecycle import retry_incident

    with services_from_env() as services, services.db.unit_of_work() as uow:
        retry_incident(uow, services.engine, incident_id, actor=user)
        uow.commit()
    click.echo(f"incident {incident_id} resolved; the step runs again", err=True)


def _lifecycle_command(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("instance_id")
    @click.option("--user", help="Recorded as the acting user.")
    def command(instance_id: str, user: str | None) -> None:
        from engine.instances import get_instance
        from engine.lifecycle import INSTANCE_ACTIONS

        with services_from_env() as services, services.db.unit_of_work() as uow:
            INSTANCE_ACTIONS[name](uow, services.engine, instance_id, actor=user)
            status = get_instance(uow, instance_id).status
            uow.commit()
        click.echo(f"instance {instance_id} is {status}", err=True)

    return command


def register(cli: click.Group, instance: click.Group) -> None:
    cli.add_command(worker)
    cli.add_command(message)
    cli.add_command(incident)
    instance.add_command(_lifecycle_command("suspend", "Suspend: tasks cannot be completed, timers wait."))
    instance.add_command(_lifecycle_command("resume", "Resume a suspended instance."))
    instance.add_command(_lifecycle_command("cancel", "Cancel: open tasks, timers and subscriptions end."))
