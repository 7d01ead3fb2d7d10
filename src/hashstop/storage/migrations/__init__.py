"""Alembic migrations of the hashstop schema, shipped inside the package."""
