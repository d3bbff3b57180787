"""idempotent_requests.session_id: a kept answer goes with the session it is about (a deleted
candidate's name and email must not live on in a replayable answer)

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotent_requests') as batch:
        batch.add_column(sa.Column('session_id', sa.String(length=36), nullable=True))
        batch.create_index('ix_idempotent_requests_session_id', ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotent_requests') as batch:
        batch.drop_index('ix_idempotent_requests_session_id')
        batch.drop_column('session_id')
