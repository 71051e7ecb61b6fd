"""Persistence of customers (SQLAlchemy entity, mapper, repository)."""
