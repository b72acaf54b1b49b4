"""What service-task handlers may learn about their instance: letter templates deployed with its model, its
process data, and who signed its tasks.

Files deployed with a model that are not models themselves are seen by one process instance:

A resource is looked up in the deployment of the instance's process version, else in the latest earlier one
(an unchanged file is not stored again): an instance keeps the letter templates of its own version.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from engine.models import DeploymentResource, HumanTask, ProcessDefinition, ProcessInstance


def instance_template(uow: UnitOfWork, instance_id: uuid.UUID, name: str) -> str:
    """The text of letter template `name` as deployed for instance `instance_id`'s process version: the newest
    up to that version's deployment, from a deployment of the same process first (another procedure may have
    a template of the same name), else from any."""
    found = uow.session.execute(
        select(ProcessDefinition.deployment_id, ProcessInstance.process_key)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == instance_id)
    ).first()
    if found is None:
        raise NotFound(f"process instance {instance_id} not found")
    deployment_id, key = found
    query = (select(DeploymentResource.content)
             .where(DeploymentResource.kind == "template", DeploymentResource.name == name,
                    DeploymentResource.deployment_id <= deployment_id)
             .order_by(DeploymentResource.deployment_id.desc()).limit(1))
    own = select(ProcessDefinition.deployment_id).where(ProcessDefinition.key == key)
    content = uow.session.scalar(query.where(DeploymentResource.deployment_id.in_(own)))
    if content is None:
        content = uow.session.scalar(query)
    if content is None:
        raise NotFound(f"letter template {name!r} was not deployed with this process")
    return bytes(content).decode("utf-8")


def instance_data(uow: UnitOfWork, instance_id: uuid.UUID) -> dict[str, object]:
    """The process data of instance `instance_id` as last saved."""
    data = uow.session.scalar(select(ProcessInstance.data).where(ProcessInstance.id == instance_id))
    if data is None:
        raise NotFound(f"process instance {instance_id} not found")
    return dict(data)


def instance_signers(uow: UnitOfWork, instance_id: uuid.UUID) -> list[str]:
    """Logins of everyone who completed a task of the instance, first completion first (each once)."""
    rows = uow.session.execute(
        select(HumanTask.completed_by).where(HumanTask.instance_id == instance_id, HumanTask.status == "completed",
                                             HumanTask.completed_by.is_not(None))
        .order_by(HumanTask.completed_at)
    ).scalars()
    return list(dict.fromkeys(str(login) for login in rows))
