"""second trust round: an email address is unique per institution, not across institutions

Revision ID: 0008
Revises: 0007
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

#: 0002 created the global unique constraint without a name: PostgreSQL called it users_email_key;
#: on SQLite a batch copy finds it under this convention.
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _global_unique() -> str:
    return "users_email_key" if op.get_bind().dialect.name == "postgresql" else "uq_users_email"


def upgrade() -> None:
    with op.batch_alter_table('users', naming_convention=NAMES) as batch:
        batch.drop_constraint(_global_unique(), type_='unique')
        batch.create_unique_constraint('uq_users_institution_email', ['institution_id', 'email'])
        batch.create_index('ix_users_email', ['email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('users', naming_convention=NAMES) as batch:
        batch.drop_index('ix_users_email')
        batch.drop_constraint('uq_users_institution_email', type_='unique')
        batch.create_unique_constraint(_global_unique(), ['email'])
