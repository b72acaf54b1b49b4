"""inbox: case columns and a version on human_task, human_task_entry (where open tasks show up), task_draft

Revision ID: 0008
Revises: 0007

Open tasks of existing instances are given their case columns and entries here, so they stay in the
inbox after the upgrade (the rules are those of engine/taskindex.py at this revision, copied so that this
migration keeps meaning the same when that module changes).
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
FOLLOW_UP_WHERE = "follow_up_at IS NOT NULL AND field = '' AND value = ''"


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('process_name', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('applicant', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('case_fields', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        # PostgreSQL: trigrams of open tasks for the inbox's text filter (pg_trgm comes with 0005);
        # SQLite: an always-empty stand-in of the same name (the filter scans there)
        batch_op.create_index('ix_human_task_search_text', ['search_text'], unique=False, postgresql_using='gin',
                              postgresql_ops={'search_text': 'gin_trgm_ops'},
                              postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text('0'))

    op.create_table('human_task_entry',
    sa.Column('task_id', sa.Uuid(), nullable=False),
    sa.Column('holder', sa.String(length=300), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('due_sort', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('follow_up_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_human_task_entry_task_id_human_task')),
    sa.PrimaryKeyConstraint('task_id', 'holder', 'field', 'value', name=op.f('pk_human_task_entry'))
    )
    with op.batch_alter_table('human_task_entry', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_entry_due',
                              ['holder', 'field', 'value', 'due_sort', 'task_id', 'follow_up_at', 'priority'],
                              unique=False)
        batch_op.create_index('ix_human_task_entry_priority',
                              ['holder', 'field', 'value', 'priority', 'task_id', 'follow_up_at'], unique=False)
        batch_op.create_index('ix_human_task_entry_created',
                              ['holder', 'field', 'value', 'created_at', 'task_id', 'follow_up_at'], unique=False)
        batch_op.create_index('ix_human_task_entry_follow_up', ['holder', 'follow_up_at', 'task_id'], unique=False,
                              postgresql_where=sa.text(FOLLOW_UP_WHERE), sqlite_where=sa.text(FOLLOW_UP_WHERE))

    op.create_table('task_draft',
    sa.Column('task_id', sa.Uuid(), nullable=False),
    sa.Column('user', sa.String(length=255), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_task_draft_task_id_human_task')),
    sa.PrimaryKeyConstraint('task_id', 'user', name=op.f('pk_task_draft'))
    )
    _backfill_open_tasks()


def downgrade() -> None:
    op.drop_table('task_draft')
    with op.batch_alter_table('human_task_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_entry_follow_up')
        batch_op.drop_index('ix_human_task_entry_created')
        batch_op.drop_index('ix_human_task_entry_priority')
        batch_op.drop_index('ix_human_task_entry_due')
    op.drop_table('human_task_entry')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_search_text')
        batch_op.drop_column('version')
        batch_op.drop_column('search_text')
        batch_op.drop_column('case_fields')
        batch_op.drop_column('applicant')
        batch_op.drop_column('process_name')
        batch_op.drop_column('reference')


_task = sa.table(
    'human_task', sa.column('id', sa.Uuid()), sa.column('instance_id', sa.Uuid()),
    sa.column('definition_id', sa.Integer()), sa.column('process_key', sa.String()), sa.column('name', sa.String()),
    sa.column('status', sa.String()), sa.column('assignee', sa.String()), sa.column('candidate_groups', sa.JSON()),
    sa.column('due_at', core.db.UTCDateTime()), sa.column('follow_up_at', core.db.UTCDateTime()),
    sa.column('priority', sa.Integer()), sa.column('created_at', core.db.UTCDateTime()),
    sa.column('reference', sa.String()), sa.column('process_name', sa.String()), sa.column('applicant', sa.String()),
    sa.column('case_fields', sa.JSON()), sa.column('search_text', sa.Text()),
)
_instance = sa.table('process_instance', sa.column('id', sa.Uuid()), sa.column('business_key', sa.String()),
                     sa.column('data', sa.JSON()))
_definition = sa.table('process_definition', sa.column('id', sa.Integer()), sa.column('name', sa.String()),
                       sa.column('search_fields', sa.JSON()))
_entry = sa.table(
    'human_task_entry', sa.column('task_id', sa.Uuid()), sa.column('holder', sa.String()),
    sa.column('field', sa.String()), sa.column('value', sa.String()), sa.column('process_key', sa.String()),
    sa.column('due_sort', core.db.UTCDateTime()), sa.column('follow_up_at', core.db.UTCDateTime()),
    sa.column('priority', sa.Integer()), sa.column('created_at', core.db.UTCDateTime()),
)


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _scalar(value):
    return isinstance(value, (str, int, float, bool))


def _backfill_open_tasks() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_task, _instance.c.business_key, _instance.c.data, _definition.c.name.label('definition_name'),
                  _definition.c.search_fields)
        .join(_instance, _instance.c.id == _task.c.instance_id)
        .join(_definition, _definition.c.id == _task.c.definition_id)
        .where(_task.c.status == 'open')).mappings().all()
    for row in rows:
        data = row['data'] or {}
        applicant = data.get('applicant_name')
        applicant = _text(applicant)[:500] if _scalar(applicant) and applicant != '' else None
        fields = {name: data[name] for name in row['search_fields'] or [] if name in data}
        words = [row['name'], row['definition_name'], row['business_key'] or '', applicant or '',
                 *[_text(v) for v in fields.values() if _scalar(v)]]
        bind.execute(_task.update().where(_task.c.id == row['id']).values(
            reference=row['business_key'], process_name=row['definition_name'], applicant=applicant,
            case_fields=fields, search_text=' '.join(w for w in words if w).lower()[:8000]))
        filters = [('', ''), ('@procedure', row['process_key'][:255])]
        for name, value in sorted(fields.items()):
            for item in value if isinstance(value, list) else [value]:
                if _scalar(item) and len(_text(item)) <= 255 and len(name) <= 100 \
                        and (name, _text(item)) not in filters:
                    filters.append((name, _text(item)))
        holders = [f"u:{row['assignee']}"] if row['assignee'] else [f'g:{g}' for g in row['candidate_groups'] or []]
        entries = [{'task_id': row['id'], 'holder': holder, 'field': field, 'value': value,
                    'process_key': row['process_key'], 'due_sort': row['due_at'] or FAR_FUTURE,
                    'follow_up_at': row['follow_up_at'], 'priority': row['priority'], 'created_at': row['created_at']}
                   for holder in holders for field, value in filters]
        if entries:
            bind.execute(_entry.insert(), entries)
