"""durable webhook deliveries: an outbox written with the flags

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('event_client_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'event_client_id')
    )
    op.create_index(op.f('ix_webhook_outbox_institution_id'), 'webhook_outbox', ['institution_id'], unique=False)
    op.create_index(op.f('ix_webhook_outbox_session_id'), 'webhook_outbox', ['session_id'], unique=False)
    op.create_index(op.f('ix_webhook_outbox_state'), 'webhook_outbox', ['state'], unique=False)
    op.create_index(op.f('ix_webhook_outbox_next_attempt_at'), 'webhook_outbox', ['next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_table('webhook_outbox')
