"""Shared mechanisms: database, permissions, audit trail, time, forms, pagination, errors."""
