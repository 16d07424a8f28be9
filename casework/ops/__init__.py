"""Operations: backup and restore, the operator's health check, metrics."""
