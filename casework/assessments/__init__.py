"""Needs assessment across the five domains, in versions."""
