"""Alembic migrations: one history for SQLite and PostgreSQL. ``Database.migrate()`` applies them."""
