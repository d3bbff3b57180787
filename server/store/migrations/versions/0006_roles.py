"""roles: admin, reviewer, auditor

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts managed keys and settings: they stay admins.
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('role', sa.String(length=12), server_default='admin', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('role')
