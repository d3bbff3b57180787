"""platform API: secret keys; idempotent requests; the actor (a secret key) of audit entries, verdicts and review decisions made with one

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('secret_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('operator', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('read_only', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('secret_keys') as batch:
        batch.create_index('ix_secret_keys_institution_id', ['institution_id'], unique=False)
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('actor', sa.String(length=60), nullable=True))
    op.create_table('idempotent_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner', 'key')
    )
    with op.batch_alter_table('idempotent_requests') as batch:
        batch.create_index('ix_idempotent_requests_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('flag_verdicts') as batch:
        batch.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('actor', sa.String(length=60), nullable=True))
    with op.batch_alter_table('sessions') as batch:
        batch.add_column(sa.Column('reviewed_actor', sa.String(length=60), nullable=True))


def downgrade() -> None:
    op.drop_table('idempotent_requests')
    with op.batch_alter_table('sessions') as batch:
        batch.drop_column('reviewed_actor')
    with op.batch_alter_table('flag_verdicts') as batch:
        batch.drop_column('actor')
        batch.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_column('actor')
    with op.batch_alter_table('secret_keys') as batch:
        batch.drop_index('ix_secret_keys_institution_id')
    op.drop_table('secret_keys')
