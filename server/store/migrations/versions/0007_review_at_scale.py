"""review at scale: session claims, user invitations and disabling, ReviewCompleted deliveries

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('invite_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_users_invite_hash', ['invite_hash'], unique=False)
    with op.batch_alter_table('sessions') as batch:
        batch.add_column(sa.Column('claimed_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key('fk_sessions_claimed_by_users', 'users', ['claimed_by'], ['id'])
    with op.batch_alter_table('webhook_outbox') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=12), server_default='flag', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('webhook_outbox') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('sessions') as batch:
        batch.drop_constraint('fk_sessions_claimed_by_users', type_='foreignkey')
        batch.drop_column('claimed_until')
        batch.drop_column('claimed_by')
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_invite_hash')
        batch.drop_column('invite_expires_at')
        batch.drop_column('invite_hash')
        batch.drop_column('disabled_at')
