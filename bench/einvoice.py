"""E-invoice benchmark: akte's check of every test invoice versus the bare EN 16931 XSLT transform, in one run.

The bare path is what any system has to do at least: the official EN 16931 stylesheet of the invoice's syntax
(compiled once) run by saxonche over the invoice XML. akte's path is `Checker.check` on the file as received
(PDFs included: attachment extraction, safe parsing, schema, EN 16931 and XRechnung rules, arithmetic,
parsing into the model) — or, once the intake pipeline provides it, the full intake path (store, parse,
validate, route; see `intake_path` below). Each path runs over all test invoices repeatedly, ≥ 5,000 in all,
one round of each path in turn, so that the load of a shared machine meets both alike.

    python -m bench.einvoice [--rules ../shared/einvoice-rules] [--total 5000]

Last line: `RESULT invoices_per_s=<akte> ratio=<akte/bare>` (goal: 60,000 a year in < 10 min on one worker,
i.e. ≥ 100 invoices/s, and ratio ≥ 0.3).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from intake.einvoice import Checker
from intake.einvoice.pdfembed import embedded_invoice_xml, looks_like_pdf
from intake.einvoice.safexml import MalformedXml, load_xml
from intake.einvoice.syntax import detect

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"
RULES = REPO.parent / "shared" / "einvoice-rules"
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Sample:
    name: str
    content: bytes  # the file as received (XML or PDF)
    xml_text: str  # the invoice XML, for the bare transform
    binding: str  # "UBL" or "CII": which EN 16931 stylesheet the bare path runs


def load_samples(testdata: Path) -> list[Sample]:
    """Every e-invoice of the test data that has well-formed invoice XML (paper-like and broken ones are left out)."""
    expected = json.loads((testdata / "expected.json").read_text(encoding="utf-8"))
    samples = []
    for name in sorted(n for n in expected if n.startswith(("xrechnung/", "zugferd/"))):
        content = (testdata / name).read_bytes()
        xml = content
        if looks_like_pdf(content):
            embedded = embedded_invoice_xml(content, name, max_bytes=MAX_BYTES)
            if embedded is None:
                continue
            xml = embedded.content
        try:
            root = load_xml(xml, name, max_bytes=MAX_BYTES)
        except MalformedXml:
            continue
        binding = detect(root).binding or "CII"
        samples.append(Sample(name, content, etree.tostring(root, encoding="unicode"), binding))
    return samples


def bare_transform(rules: Path) -> Callable[[Sample], object]:
    """The bare path: the EN 16931 XSLT of a sample's syntax (both compiled here, before any timing) run by saxonche
    over the invoice XML."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    sheets = {binding: compiler.compile_stylesheet(
        stylesheet_file=str(next((rules / "en16931" / binding.lower()).glob(f"EN16931-{binding}-validation.xsl*"))))
        for binding in ("UBL", "CII")}

    def run(sample: Sample) -> object:
        node = processor.parse_xml(xml_text=sample.xml_text)
        return sheets[sample.binding].transform_to_string(xdm_node=node)

    return run


ROUTES = "leitweg_id;unit;group\n04011000-12345-03;32;rechnungen-32\n99000000-*;50;rechnungen-50\n"
PLAN = "code;title;retention_years\n20;Finanzen;\n20.30;Rechnungseingang;10\n"
FULL_PATH_ROUNDS = 3


def _unique(content: bytes, number: int) -> bytes:
    """The same file with different bytes (intake is idempotent by content hash): a comment at the end of
    an XML file, a comment line after a PDF's %%EOF (readers ignore both)."""
    return content + (f"\n%bench {number}\n" if content.startswith(b"%PDF") else f"\n<!-- bench {number} -->\n"
                      ).encode()


@contextmanager
def intake_path(rules: Path) -> Iterator[Callable[[bytes, str], object] | None]:
    """Yield a callable that takes one received file through akte's intake path — store (blob, document
    version in the intake inbox file, intake item: one commit), then, as the worker does, read it back, parse,
    validate and route it by Leitweg-ID — on a throw-away SQLite database and file store, removed afterwards.

    Filing (a case with the invoice, its report and rendering, or the rejection notice; the process started)
    is the worker's next step and not part of the measured path; before the store is removed, the whole
    worker path including it is run over the test invoices too and its rate printed, for comparison."""
    import tempfile

    from core.bootstrap import bootstrap
    from core.migrate import upgrade
    from core.settings import load_settings
    from intake.process import checker_for
    from intake.routing import import_routes, parse_routes_csv
    from records.fileplan import import_plan, parse_plan_csv

    with tempfile.TemporaryDirectory(prefix="akte-bench-einvoice-") as folder:
        settings = load_settings(database_url=f"sqlite:///{folder}/akte.db", blob_url=f"file://{folder}/blobs",
                                 data_dir=folder, einvoice_rules=rules)
        services = bootstrap(settings)
        try:
            upgrade(services.db)
            with services.db.unit_of_work() as uow:
                import_plan(uow, parse_plan_csv(PLAN, "plan.csv"))
                import_routes(uow, services.clock, parse_routes_csv(ROUTES, "routes.csv"))
                uow.commit()
            checker_for(settings).warm_up()
            calls = iter(range(1, 10**9))
            yield lambda content, filename: _store_parse_validate_route(services, _unique(content, next(calls)),
                                                                         filename)
            _print_full_path_rate(services, calls)
        finally:
            services.db.dispose()


def _store_parse_validate_route(services: Any, content: bytes, filename: str) -> object:
    import io

    from intake.models import IntakeItem
    from intake.process import checker_for, received_content
    from intake.receive import receive_file
    from intake.routing import resolve_route
    from records.access import Principal
    from records.documents import Upload

    with services.db.unit_of_work() as uow:
        view = receive_file(uow, services, Principal.system("bench"), Upload(io.BytesIO(content),
                                                                             filename.rsplit("/", 1)[-1]), "api")
        uow.commit()
    with services.db.unit_of_work() as uow:
        item = uow.session.get(IntakeItem, view.id)
        result = checker_for(services.settings).check(received_content(uow, services, item), item.filename)
        buyer_reference = result.invoice.buyer_reference if result.invoice is not None else None
        return resolve_route(uow, services.settings, buyer_reference)


def _print_full_path_rate(services: Any, calls: Iterator[int]) -> None:
    """The worker's whole path per invoice: store, then claim, check, route and file (one commit each). The
    bench forgets each accepted invoice afterwards, so that its next copy is filed again, not a duplicate."""
    import io

    from sqlalchemy import update

    from intake.models import IntakeItem
    from intake.process import process_pending
    from intake.receive import receive_file
    from records.access import Principal
    from records.documents import Upload

    samples = load_samples(TESTDATA)
    count, started = 0, time.perf_counter()
    for _ in range(FULL_PATH_ROUNDS):
        for sample in samples:
            with services.db.unit_of_work() as uow:
                view = receive_file(uow, services, Principal.system("bench"), Upload(
                    io.BytesIO(_unique(sample.content, next(calls))), sample.name.rsplit("/", 1)[-1]), "api")
                uow.commit()
            process_pending(services, limit=1, ids=[view.id])
            count += 1
            with services.db.unit_of_work() as uow:
                uow.session.execute(update(IntakeItem).where(IntakeItem.id == view.id).values(duplicate_key=None))
                uow.commit()
    rate = count / (time.perf_counter() - started)
    print(f"akte worker path incl. filing (case, invoice, report, rendering; notice when rejected): {count} "
          f"invoices, {rate:.1f} invoices/s ({1000 / rate:.2f} ms each)")


@contextmanager
def akte_path(rules: Path, samples: list[Sample]) -> Iterator[tuple[Callable[[bytes, str], object], str]]:
    """akte's path: the intake hook if provided, else `Checker.check`; warmed up, ready to be timed."""
    with intake_path(rules) as intake:
        if intake is not None:
            for sample in samples:  # first use of everything (XSDs, stylesheets, the inbox file), outside the timing
                intake(sample.content, sample.name)
            yield intake, "intake path (store, parse, validate, route)"
            return
        checker = Checker(rules)
        checker.warm_up()
        for sample in samples:
            checker.check(sample.content, sample.name)
        yield checker.check, "Checker.check (parse + validate)"


def interleaved_rates(samples: list[Sample], rounds: int, bare: Callable[[Sample], object],
                      akte: Callable[[bytes, str], object]) -> tuple[float, float, int]:
    """(bare invoices/s, akte invoices/s, invoices per path): one round of each path in turn, `rounds` times, so
    that a change in the machine's load meets both paths alike."""
    bare_seconds = akte_seconds = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for sample in samples:
            bare(sample)
        bare_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for sample in samples:
            akte(sample.content, sample.name)
        akte_seconds += time.perf_counter() - started
    count = rounds * len(samples)
    return count / bare_seconds, count / akte_seconds, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=Path, default=RULES, help="rules directory (default ../shared/einvoice-rules)")
    parser.add_argument("--testdata", type=Path, default=TESTDATA)
    parser.add_argument("--total", type=int, default=5000, help="at least this many invoices per path")
    args = parser.parse_args()
    samples = load_samples(args.testdata)
    rounds = math.ceil(args.total / len(samples))
    print(f"{len(samples)} test invoices × {rounds} rounds per path; rules {args.rules}")
    bare_run = bare_transform(args.rules)
    for sample in samples:  # the bare path's first use, outside the timing too
        bare_run(sample)
    with akte_path(args.rules, samples) as (akte_run, label):
        bare, akte, count = interleaved_rates(samples, rounds, bare_run, akte_run)
        print(f"bare EN 16931 XSLT (saxonche, compiled once): {count} invoices, {bare:.1f} invoices/s "
              f"({1000 / bare:.2f} ms each)")
        print(f"akte {label}: {count} invoices, {akte:.1f} invoices/s ({1000 / akte:.2f} ms each)")
    print(f"60,000 invoices would take {60000 / akte / 60:.1f} min on one worker")
    print(f"RESULT invoices_per_s={akte:.1f} ratio={akte / bare:.2f}")


if __name__ == "__main__":
    main()
