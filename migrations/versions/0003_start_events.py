"""start events: message and timer starts per process definition, start jobs

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_starts', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('timer_starts', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('definition_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_index('ix_job_runnable')
        batch_op.create_index('ix_job_runnable', ['failed_at', 'held', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_definition_id'), ['definition_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_job_definition_id_process_definition'), 'process_definition',
                                    ['definition_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_job_definition_id_process_definition'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_job_definition_id'))
        batch_op.drop_index('ix_job_runnable')
        batch_op.create_index('ix_job_runnable', ['failed_at', 'due_at'], unique=False)
        batch_op.drop_column('held')
        batch_op.drop_column('schedule')
        batch_op.drop_column('definition_id')
        batch_op.alter_column('instance_id', existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('timer_starts')
        batch_op.drop_column('message_starts')
