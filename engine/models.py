"""Engine tables: deployments, process versions, instances, materialised human tasks, incidents, history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str | None] = mapped_column(String(255))


class DeploymentResource(Base):
    """Every file of a deployment (BPMN, DMN, form), kept verbatim for later resolution and download."""

    __tablename__ = "deployment_resource"
    __table_args__ = (Index("ix_deployment_resource_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # bpmn | dmn | form | template (letter)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    defines: Mapped[list[str]] = mapped_column(JSON, default=list)  # process or decision ids in the file


class ProcessDefinition(Base):
    """One deployed version of a process; the parsed spec is stored once here, not per instance."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definition_key_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when a process is not cached
    user_tasks: Mapped[dict[str, Any]] = mapped_column(JSON)
    service_tasks: Mapped[dict[str, str]] = mapped_column(JSON)
    message_starts: Mapped[list[str]] = mapped_column(JSON, default=list)  # messages that start an instance
    timer_starts: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [start event id, expression]
    search_fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # variables that make a case findable
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str | None] = mapped_column(String(255))


class ProcessInstance(Base):
    __tablename__ = "process_instance"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | completed | cancelled | suspended
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the latest workflow data, for display without Spiff
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HumanTask(Base):
    """A user task materialised for work lists, so listing tasks never deserializes a workflow."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_status_due", "status", "due_at"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
        # the inbox's text filter: trigrams of open tasks on PostgreSQL; on SQLite an empty stand-in
        Index("ix_human_task_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}, postgresql_where=text("status = 'open'"),
              sqlite_where=text("0")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the SpiffWorkflow task id
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_instance.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    assignee: Mapped[str | None] = mapped_column(String(255), index=True)
    candidate_groups: Mapped[list[str]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    priority: Mapped[int] = mapped_column(Integer)
    form_key: Mapped[str | None] = mapped_column(String(255))
    form_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(255))
    # the case as the inbox shows it, copied from the instance at every save (engine/taskindex.py)
    reference: Mapped[str | None] = mapped_column(String(255))  # the instance's business key (file reference)
    process_name: Mapped[str] = mapped_column(String(500), default="")
    applicant: Mapped[str | None] = mapped_column(String(500))  # process variable `applicant_name`
    case_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the procedure's search fields
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-case words the inbox's text filter reads
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # optimistic lock: claims and completions

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


FOLLOW_UP_ENTRIES = "follow_up_at IS NOT NULL AND field = '' AND value = ''"  # what the follow-up count reads


class HumanTaskEntry(Base):
    """Where an open task shows up in inboxes: one row per (holder, filter) so every inbox page is a short
    walk along one index, whatever the filter (engine/taskindex.py writes them, engine/inbox.py reads them).

    `holder` is `u:<login>` for an assigned task, else `g:<group>` for each candidate group. Each holder has
    a row with `field` = "" (no filter), one with `field` = "@procedure" (value = process key) and one per
    search field with a scalar value. `due_sort` is the due date, or FAR_FUTURE when there is none (no NULLs
    in the index order). One index per sort the inbox serves from entries alone (due, priority, created);
    `follow_up_at` (and `priority`) trail them so hiding future follow-ups and a minimum priority are
    checked in the index. Rows exist only while the task is open.
    """

    __tablename__ = "human_task_entry"
    __table_args__ = (
        Index("ix_human_task_entry_due", "holder", "field", "value", "due_sort", "task_id", "follow_up_at",
              "priority"),
        Index("ix_human_task_entry_priority", "holder", "field", "value", "priority", "task_id", "follow_up_at"),
        Index("ix_human_task_entry_created", "holder", "field", "value", "created_at", "task_id", "follow_up_at"),
        Index("ix_human_task_entry_follow_up", "holder", "follow_up_at", "task_id",
              postgresql_where=text(FOLLOW_UP_ENTRIES), sqlite_where=text(FOLLOW_UP_ENTRIES)),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300), primary_key=True)
    field: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255))
    due_sort: Mapped[datetime] = mapped_column(UTCDateTime())
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaskDraft(Base):
    """Form data a user saved without completing the task; deleted when the task closes."""

    __tablename__ = "task_draft"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    user: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Incident(Base):
    """A task that failed (script error, time limit, handler failure); the instance waits until resolved."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[uuid.UUID | None] = mapped_column()
    job_id: Mapped[uuid.UUID | None] = mapped_column()  # the failed service job `retry` re-schedules
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstanceEvent(Base):
    """Append-only history of an instance (started, task created/completed, incident, ended, ...)."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[uuid.UUID | None] = mapped_column()
    actor: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Job(Base):
    """Work the worker does for a waiting instance: fire a timer or call a service-task handler.

    One row per waiting timer (`due_at` = when it fires) or service task (`due_at` = next attempt). A row
    is claimed with `FOR UPDATE SKIP LOCKED`, executed and deleted in one transaction: exactly once.
    `failed_at` is set when a service job used up its attempts (an incident is open; retry resets it);
    `held` while its instance is suspended. The claim query reads this table alone, in index order.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_runnable", "failed_at", "held", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # timer | service | start (a timer start event)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"), index=True)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # start jobs: cycles left, period seconds
    task_id: Mapped[uuid.UUID] = mapped_column()
    element_id: Mapped[str] = mapped_column(String(255))
    handler: Mapped[str | None] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held: Mapped[bool] = mapped_column(default=False)  # its instance is suspended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageSubscription(Base):
    """An instance waiting at a message catch event, receive task or message boundary event."""

    __tablename__ = "message_subscription"

    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    message_name: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BufferedMessage(Base):
    """A message sent to a running instance before it reached its catch event; delivered on arrival."""

    __tablename__ = "buffered_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_name: Mapped[str] = mapped_column(String(255), index=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_instance.id"), index=True)
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
