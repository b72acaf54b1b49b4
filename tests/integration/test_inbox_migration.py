"""Migration 0008 gives the open tasks of existing instances their case columns and inbox entries, and
goes back down cleanly (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from core.db import Database
from core.migrate import alembic_config, current_revision, upgrade

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _old_rows(database: Database) -> None:
    """An instance with one open and one completed task, written as revision 0007 knew them."""
    instance, open_task, done_task = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    uuid_value = (lambda u: u.hex) if database.backend == "sqlite" else (lambda u: u)
    task_columns = ("id, instance_id, definition_id, process_key, element_id, name, status, assignee, "
                    "candidate_groups, due_at, follow_up_at, priority, created_at")
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO deployment (id, created_at) VALUES (1, :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO process_definition (id, key, version, name, sha256, source_file, bpmn_xml, spec_json, "
            "user_tasks, service_tasks, message_starts, timer_starts, search_fields, deployment_id, deployed_at) "
            "VALUES (1, 'licence', 1, 'Führerscheinumtausch', '', 'l.bpmn', :xml, '{}', '{}', '{}', '[]', '[]', "
            "'[\"licence_class\"]', 1, :now)"), {"xml": b"", "now": NOW})
        connection.execute(text(
            "INSERT INTO process_instance (id, definition_id, process_key, business_key, status, state, "
            "serializer_version, data, version, created_at, updated_at) VALUES (:id, 1, 'licence', "
            "'32.10.05-2026/00017', 'running', '{}', 'x', :data, 1, :now, :now)"),
            {"id": uuid_value(instance), "now": NOW,
             "data": '{"licence_class": "CE", "applicant_name": "Erika Mustermann", "secret": "x"}'})
        for task_id, status, assignee in ((open_task, "open", None), (done_task, "completed", "anna")):
            connection.execute(text(
                f"INSERT INTO human_task ({task_columns}) VALUES (:id, :instance, 1, 'licence', 'check', "
                "'Antrag prüfen', :status, :assignee, '[\"clerks\", \"review\"]', :now, NULL, 50, :now)"),
                {"id": uuid_value(task_id), "instance": uuid_value(instance), "status": status, "assignee": assignee,
                 "now": NOW})


def test_open_tasks_are_backfilled_and_the_migration_goes_down_again(fresh_database: Database) -> None:
    database = fresh_database
    upgrade(database, "0007")
    _old_rows(database)
    upgrade(database)
    with database.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, reference, process_name, applicant, search_text, version FROM human_task ORDER BY status DESC"
        )).all()
        entries = connection.execute(text("SELECT holder, field, value FROM human_task_entry")).all()
    opened = rows[0]
    assert tuple(opened[1:]) == ("32.10.05-2026/00017", "Führerscheinumtausch", "Erika Mustermann",
                                 "antrag prüfen führerscheinumtausch 32.10.05-2026/00017 erika mustermann ce", 1)
    assert rows[1][1] is None  # closed tasks keep no inbox data
    assert sorted(entries) == sorted(
        (holder, field, value) for holder in ("g:clerks", "g:review")
        for field, value in (("", ""), ("@procedure", "licence"), ("licence_class", "CE")))

    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    assert current_revision(database) == "0007"
    upgrade(database)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM human_task_entry")).scalar_one() == 6
