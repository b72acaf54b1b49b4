"""`akte demo load`: the demo office of the README (users, file plan, routes, cases of every procedure)."""

from __future__ import annotations

import click
from rich.progress import Progress

from web.cli_support import services_from_env


@click.group("demo")
def demo_group() -> None:
    """The demo office (documented users and cases; not for real installations)."""


@demo_group.command("load")
def demo_load() -> None:
    """Create the demo users, file plan, Leitweg-ID routes and ~60 cases of the deployed procedures.

    Nothing happens when other users exist; run again, it creates only what is missing (resumes)."""
    from web.demo import load_demo

    with services_from_env() as services, Progress(transient=True) as progress:
        task = progress.add_task("playing demo cases", total=None)
        result = load_demo(services, on_case=lambda done, total: progress.update(task, completed=done, total=total))
    if result.skipped:
        click.echo(result.skipped, err=True)
        return
    if result.missing_procedures:
        click.echo(f"not deployed, their demo cases left out: {', '.join(result.missing_procedures)}", err=True)
    click.echo(f"{result.users_created} demo user(s) and {result.cases_created} case(s) created", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(demo_group)
