"""sessions (institution_id, started_at, id): the platform API's session list, newest first by
cursor, reads a range of this index instead of sorting every session of the institution
(bench/platform_api.py, 100,000 sessions in PostgreSQL)

Revision ID: 0011
Revises: 0010
"""

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sessions_institution_started', 'sessions', ['institution_id', 'started_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sessions_institution_started', table_name='sessions')
