"""proctor messages: what a proctor sends a running widget, streamed by its channel

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'proctor_messages',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('session_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sender', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('proctor_messages', schema=None) as batch_op:
        batch_op.create_index('ix_proctor_messages_session', ['session_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proctor_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_proctor_messages_session')
    op.drop_table('proctor_messages')
