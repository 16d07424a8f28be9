"""Persons, households, cases, timeline, consent, transfers and search."""
