"""Indexes for lists at scale (bench/platform_api.py, 100,000 sessions): sessions (institution_id,
started_at, id), so the platform API's session list, newest first by cursor, reads a range of it
instead of sorting every session of the institution, and (institution_id, assessment_id, started_at,
id) in place of (assessment_id) for one assessment's; events (session_id, type) in place of
(session_id), so a page's flag counts read only its sessions' rows, not every flag of a type

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
    op.create_index('ix_events_session_type', 'events', ['session_id', 'type'], unique=False)
    op.drop_index('ix_events_session_id', table_name='events')
    op.create_index('ix_sessions_institution_assessment', 'sessions',
                    ['institution_id', 'assessment_id', 'started_at', 'id'], unique=False)
    op.drop_index('ix_sessions_assessment_id', table_name='sessions')


def downgrade() -> None:
    op.create_index('ix_sessions_assessment_id', 'sessions', ['assessment_id'], unique=False)
    op.drop_index('ix_sessions_institution_assessment', table_name='sessions')
    op.create_index('ix_events_session_id', 'events', ['session_id'], unique=False)
    op.drop_index('ix_events_session_type', table_name='events')
    op.drop_index('ix_sessions_institution_started', table_name='sessions')
