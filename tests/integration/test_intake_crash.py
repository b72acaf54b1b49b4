"""A crash between storing and processing loses nothing and processes nothing twice: a worker killed (SIGKILL)
or abandoning its work half-way leaves the item to be taken again once its claim runs out; a receiver killed
before its commit leaves nothing; an item that keeps breaking is parked as failed and can be retried."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bootstrap import Services
from core.clock import FrozenClock
from intake import process
from intake.models import IntakeItem
from intake.process import LEASE, MAX_ATTEMPTS, process_pending, retry_failed
from records.models import Document, RecordCase
from tests.conftest import REPO
from tests.intake_helpers import count, intake_env, intake_services, invoice_path, item, process_all, receive_path

VALID_UBL = "xrechnung/valid/01.01a-INVOICE_ubl.xml"

# a child process that kills itself (SIGKILL: no clean-up runs) at the named point of intake
KILLED_AT = """
import os, signal, sys
import {module} as target
from core.bootstrap import bootstrap
from core.settings import load_settings

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

target.{function} = die
services = bootstrap(load_settings())
{work}
"""


@pytest.fixture
def intake(services: Services, tmp_path: Path) -> Services:
    return intake_services(services, tmp_path)


def _killed(intake: Services, module: str, function: str, work: str) -> None:
    script = KILLED_AT.format(module=module, function=function, work=work)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=intake_env(intake),
                            cwd=REPO, timeout=300)
    assert result.returncode == -9, result.stderr


def test_a_worker_killed_while_processing_leaves_the_item_to_be_taken_again(intake: Services,
                                                                            clock: FrozenClock) -> None:
    received = receive_path(intake, VALID_UBL)
    _killed(intake, "intake.process", "_start_process",  # after the case and its documents, before the commit
            "from intake.process import process_pending\nprocess_pending(services)")
    stuck = item(intake, received.id)
    assert (stuck.status, stuck.attempts, stuck.case_id) == ("processing", 1, None)
    assert count(intake, RecordCase) == 0 and count(intake, Document) == 1  # only the received original

    clock.set(datetime.now(UTC))  # the child claimed it with the real clock
    assert process_pending(intake) == 0  # its claim still holds
    clock.advance(LEASE + timedelta(seconds=1))
    assert process_pending(intake) == 1
    done = item(intake, received.id)
    assert (done.status, done.attempts) == ("accepted", 2)
    assert "worker stopped while processing" not in (done.error or "")
    assert count(intake, RecordCase) == 1
    assert process_all(intake) == 0 and count(intake, RecordCase) == 1


def test_a_receiver_killed_before_its_commit_leaves_nothing_and_the_file_can_be_sent_again(intake: Services) -> None:
    path = invoice_path(VALID_UBL)
    work = ("from intake.receive import receive_file\nfrom records.access import Principal\n"
            "from records.documents import Upload\n"
            "with services.db.unit_of_work() as uow, open(PATH, 'rb') as stream:\n"
            "    receive_file(uow, services, Principal.system('x'), Upload(stream, 'r.xml'), 'cli')\n"
            "    uow.commit()\n").replace("PATH", repr(str(path)))
    _killed(intake, "intake.receive", "register_document", work)  # the blob is written, no row committed
    assert count(intake, IntakeItem) == 0 and count(intake, Document) == 0
    received = receive_path(intake, VALID_UBL)
    process_all(intake)
    assert item(intake, received.id).status == "accepted" and count(intake, RecordCase) == 1


def test_work_abandoned_half_way_is_rolled_back_and_done_once_later(intake: Services, clock: FrozenClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    received = receive_path(intake, VALID_UBL)
    original = process._start_process

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # not an Exception: nothing in intake catches it, like a kill

    monkeypatch.setattr(process, "_start_process", interrupted)
    with pytest.raises(KeyboardInterrupt):
        process_pending(intake)
    assert item(intake, received.id).status == "processing" and count(intake, RecordCase) == 0
    monkeypatch.setattr(process, "_start_process", original)
    again = receive_path(intake, VALID_UBL)  # sent again meanwhile: the same item
    assert again.id == received.id and again.already_received
    clock.advance(LEASE + timedelta(seconds=1))
    process_all(intake)
    assert item(intake, received.id).status == "accepted" and count(intake, RecordCase) == 1


def test_an_item_that_keeps_failing_is_parked_and_can_be_retried(intake: Services, clock: FrozenClock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    received = receive_path(intake, VALID_UBL)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the routing table is unreachable")

    monkeypatch.setattr(process, "resolve_route", broken)
    for _attempt in range(MAX_ATTEMPTS):
        assert process_pending(intake) == 1
        waiting = item(intake, received.id)
        assert (waiting.error or "").endswith("RuntimeError: the routing table is unreachable")
        assert waiting.status == ("failed" if _attempt == MAX_ATTEMPTS - 1 else "received")
        clock.advance(timedelta(hours=1, seconds=1))
    failed = item(intake, received.id)
    assert failed.status == "failed" and f"after {MAX_ATTEMPTS} attempts" in (failed.error or "")
    assert process_pending(intake) == 0 and count(intake, RecordCase) == 0

    monkeypatch.undo()
    assert retry_failed(intake) == 1
    process_all(intake)
    assert item(intake, received.id).status == "accepted" and count(intake, RecordCase) == 1
