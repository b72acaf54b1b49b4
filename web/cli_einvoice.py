"""`akte einvoice check FILE... [--json] [--rules DIR]`: parse and validate e-invoices, storing nothing.

Exit 0 when every file is a valid e-invoice, 1 when any is invalid (or a PDF without invoice data), 2 when any
file cannot be read at all (one line on stderr each). Rules: AKTE_EINVOICE_RULES, or --rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.settings import load_settings
from intake.einvoice import Checker, CheckResult, Finding, UnreadableInvoice

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


@click.group("einvoice")
def einvoice_group() -> None:
    """E-invoices: XRechnung (UBL, CII), ZUGFeRD and Factur-X."""


def _read(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnreadableInvoice(str(path), f"file is {size:,} bytes, more than the limit of {limit:,}")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInvoice(str(path), f"cannot read: {exc.strerror or exc}") from None


def _finding_line(finding: Finding) -> str:
    where = f" at {finding.location}" if finding.location else ""
    return f"  {finding.severity} {finding.rule_id} ({finding.rule_set}){where}: {finding.text}"


def _print_text(result: CheckResult) -> None:
    verdict = "paper-like PDF (not an e-invoice)" if result.paper_like else "valid" if result.valid else "INVALID"
    click.echo(f"{result.file}: {verdict} [{result.syntax}]")
    invoice = result.invoice
    if invoice is not None:
        click.echo(f"  invoice {invoice.number} of {invoice.issue_date} from {invoice.seller.name}, "
                   f"{invoice.tax_inclusive} {invoice.currency or ''} (payable {invoice.payable}), "
                   f"buyer reference {invoice.buyer_reference}")
    applied = [f"{name} {result.rule_set_versions[name]}" if name in result.rule_set_versions else name
               for name in result.rule_sets]
    if applied:
        click.echo(f"  rule sets: {', '.join(applied)}")
    for skipped in result.skipped_rule_sets:
        click.echo(f"  not applied: {skipped}")
    for finding in [*result.errors, *result.warnings]:
        click.echo(_finding_line(finding))


@einvoice_group.command("check")
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per readable file.")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="Directory of the official rules (default: AKTE_EINVOICE_RULES).")
@click.pass_context
def check_command(ctx: click.Context, files: tuple[str, ...], as_json: bool, rules_dir: Path | None) -> None:
    """Parse and validate e-invoice FILES (XML or PDF); stores nothing."""
    checker = Checker(rules_dir if rules_dir is not None else load_settings().einvoice_rules)
    results: list[CheckResult] = []
    unreadable = 0
    for name in files:
        try:
            result = checker.check(_read(Path(name), checker.max_pdf_bytes), name)
        except UnreadableInvoice as exc:
            click.echo(f"akte: {exc.message}", err=True)
            unreadable += 1
            continue
        results.append(result)
        if not as_json:
            _print_text(result)
    if as_json:
        click.echo(json.dumps([result.to_json() for result in results], ensure_ascii=False, indent=2))
    ctx.exit(EXIT_UNREADABLE if unreadable else EXIT_VALID if all(r.valid for r in results) else EXIT_INVALID)


def register(cli: click.Group) -> None:
    cli.add_command(einvoice_group)


einvoice = einvoice_group  # the name other command modules may attach subcommands to
