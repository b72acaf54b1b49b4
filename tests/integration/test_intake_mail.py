"""The e-invoice mailbox over IMAP, against a real dovecot started by the fixtures (tests/imapserver.py):
attachments become received items, each message is kept as .eml, messages are marked read (or moved) only
after they are stored, and a message is taken once (by Message-ID)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.bootstrap import Services
from core.errors import Unavailable
from intake.mail import MailPoller, fetch_mail
from intake.models import IntakeItem, IntakeMail
from records.models import Document, RecordCase
from tests.helpers import AKTE, REPO
from tests.imapserver import ImapServer
from tests.intake_helpers import (
    content_of,
    count,
    documents_of,
    intake_env,
    intake_services,
    invoice_path,
    item,
    items,
    mail_with,
    process_all,
    with_settings,
)
from tests.integration.test_intake_receive import zip_bomb

VALID_UBL = "xrechnung/valid/01.01a-INVOICE_ubl.xml"
ZUGFERD = "zugferd/valid/zugferd_2p0_EN16931_Einfach.pdf"
INVALID = "xrechnung/invalid/invalidXRV30.xml"


@pytest.fixture
def intake(services: Services, tmp_path: Path, mailbox: ImapServer) -> Services:
    return intake_services(services, tmp_path, imap_url=mailbox.url, imap_user=mailbox.user,
                           imap_password=SecretStr(mailbox.password), imap_folder="INBOX")


def _attachment(relative: str) -> tuple[str, bytes, str]:
    path = invoice_path(relative)
    return path.name, path.read_bytes(), "application/pdf" if path.suffix == ".pdf" else "application/xml"


def test_attachments_become_items_and_the_message_is_kept_as_eml(intake: Services, mailbox: ImapServer) -> None:
    mailbox.deliver(mail_with([_attachment(VALID_UBL), _attachment(ZUGFERD)], message_id="<r1@lieferant.example>",
                              subject="Rechnungen März"))
    report = fetch_mail(intake)
    assert (report.stored, report.known, len(report.items)) == (1, 0, 2)
    assert mailbox.seen() == [True]  # read only after it was stored
    received = [item(intake, item_id) for item_id in report.items]
    assert {row.filename for row in received} == {"01.01a-INVOICE_ubl.xml", "zugferd_2p0_EN16931_Einfach.pdf"}
    assert {(row.channel, row.message_key, row.sender) for row in received} == {
        ("mail", "<r1@lieferant.example>", "buchhaltung@lieferant.example")}
    inbox = documents_of(intake, file_id=received[0].inbox_file_id)
    assert inbox["E-Mail: Rechnungen März"] == ("Rechnungen_M_rz.eml", "message/rfc822")

    process_all(intake)
    accepted = item(intake, report.items[0])
    assert accepted.status == "accepted"
    filed = documents_of(intake, case_id=accepted.case_id)
    assert filed["E-Mail: Rechnungen März"][1] == "message/rfc822"  # the message travels with the invoice


def test_a_message_is_taken_once_even_when_it_arrives_again(intake: Services, mailbox: ImapServer) -> None:
    message = mail_with([_attachment(VALID_UBL)], message_id="<same@lieferant.example>")
    mailbox.deliver(message)
    assert fetch_mail(intake).stored == 1
    assert fetch_mail(intake).stored == 0  # nothing unread
    mailbox.deliver(message)  # delivered twice (e.g. the sender's server retried)
    again = fetch_mail(intake)
    assert (again.stored, again.known) == (0, 1)
    assert count(intake, IntakeMail) == 1 and count(intake, IntakeItem) == 1
    assert mailbox.seen() == [True, True]


def test_a_crash_after_storing_but_before_marking_reads_the_message_again_and_stores_nothing_twice(
        intake: Services, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake import mail

    mailbox.deliver(mail_with([_attachment(VALID_UBL)]))

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(mail, "_mark_done", crash)
    with pytest.raises(KeyboardInterrupt):
        fetch_mail(intake)
    monkeypatch.undo()
    assert mailbox.seen() == [False] and count(intake, IntakeItem) == 1
    report = fetch_mail(intake)
    assert (report.stored, report.known) == (0, 1) and mailbox.seen() == [True]
    assert count(intake, IntakeItem) == 1 and count(intake, IntakeMail) == 1


def test_a_zip_bomb_attachment_is_rejected_unopened_with_a_clear_error(intake: Services, mailbox: ImapServer) -> None:
    mailbox.deliver(mail_with([("rechnungen.zip", zip_bomb(300), "application/zip"), _attachment(VALID_UBL)]))
    report = fetch_mail(intake)
    assert report.stored == 1
    by_name = {row.filename: row for row in items(intake)}
    bomb = by_name["rechnungen.zip"]
    assert bomb.status == "rejected" and "ZIP archives are not unpacked" in (bomb.error or "")
    assert bomb.document_id is None and bomb.size is not None and bomb.size < 2 * 1024 * 1024
    assert by_name["01.01a-INVOICE_ubl.xml"].status == "received"
    process_all(intake)
    assert item(intake, by_name["01.01a-INVOICE_ubl.xml"].id).status == "accepted"
    assert item(intake, bomb.id).status == "rejected"


def test_a_message_without_invoice_attachments_is_itself_the_item_and_paper_like(intake: Services,
                                                                                mailbox: ImapServer) -> None:
    mailbox.deliver(mail_with([("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(40), "image/png")], subject="Frage"))
    report = fetch_mail(intake)
    only = item(intake, report.items[0])
    assert only.filename == "Frage.eml" and only.media_type == "message/rfc822"
    process_all(intake)
    assert item(intake, only.id).status == "paper"


def test_a_rejected_mailed_invoice_gets_a_notice_addressed_to_the_sender(intake: Services,
                                                                        mailbox: ImapServer) -> None:
    mailbox.deliver(mail_with([_attachment(INVALID)], sender="rechnung@falsch.example"))
    report = fetch_mail(intake)
    process_all(intake)
    rejected = item(intake, report.items[0])
    assert rejected.status == "rejected"
    notice = content_of(intake, rejected.documents["notice"]).decode()
    assert "E-Mail: rechnung@falsch.example" in notice and "per E-Mail" in notice
    assert count(intake, RecordCase) == 0


def test_messages_are_moved_to_the_done_folder_when_one_is_set(intake: Services, mailbox: ImapServer) -> None:
    moving = with_settings(intake, imap_done_folder="Processed")
    mailbox.deliver(mail_with([_attachment(VALID_UBL)]))
    assert fetch_mail(moving).stored == 1
    assert mailbox.seen() == [] and mailbox.seen("Processed") == [True]


def test_too_large_messages_are_recorded_not_taken(intake: Services, mailbox: ImapServer) -> None:
    small_limit = with_settings(intake, intake_max_bytes=4096)
    mailbox.deliver(mail_with([_attachment(VALID_UBL)], subject="Groß"))
    report = fetch_mail(small_limit)
    assert (report.stored, report.refused) == (0, 1)
    refused = items(intake)[0]
    assert refused.status == "rejected" and "larger than 8192 bytes" in (refused.error or "")
    assert count(intake, Document) == 0 and mailbox.seen() == [True]
    assert fetch_mail(small_limit).refused == 0


def test_the_worker_step_polls_on_schedule_and_survives_an_unreachable_mailbox(intake: Services,
                                                                             mailbox: ImapServer) -> None:
    now = [1000.0]
    poller = MailPoller(intake, monotonic=lambda: now[0])
    mailbox.deliver(mail_with([_attachment(VALID_UBL)]))
    assert poller() == 1
    mailbox.deliver(mail_with([_attachment(ZUGFERD)]))
    assert poller() == 0  # not due yet
    now[0] += intake.settings.mail_poll_seconds
    assert poller() == 1
    unreachable = with_settings(intake, imap_url="imap://127.0.0.1:9")
    assert MailPoller(unreachable)() == 0
    with pytest.raises(Unavailable, match="cannot be read"):
        fetch_mail(unreachable)


def test_the_cli_fetches_once(intake: Services, mailbox: ImapServer) -> None:
    mailbox.deliver(mail_with([_attachment(VALID_UBL)]))
    result = subprocess.run([*AKTE, "mail", "fetch"], capture_output=True, text=True, env=intake_env(intake),
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 1 and "1 message(s) stored" in result.stderr
    wrong = dict(intake_env(intake), AKTE_IMAP_PASSWORD="falsch")
    failed = subprocess.run([*AKTE, "mail", "fetch"], capture_output=True, text=True, env=wrong, cwd=REPO,
                            timeout=300)
    assert failed.returncode == 1 and "cannot be read" in failed.stderr and "Traceback" not in failed.stderr
