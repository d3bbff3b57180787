"""security: server-side reviewer sessions, launch tokens, concurrent sessions

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
    op.create_table('reviewer_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_reviewer_sessions_user_id'), 'reviewer_sessions', ['user_id'], unique=False)
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('launch_secret', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('require_launch_token', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('sessions') as batch:
        batch.add_column(sa.Column('concurrent', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sessions') as batch:
        batch.drop_column('concurrent')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('require_launch_token')
        batch.drop_column('launch_secret')
    op.drop_index(op.f('ix_reviewer_sessions_user_id'), table_name='reviewer_sessions')
    op.drop_table('reviewer_sessions')
