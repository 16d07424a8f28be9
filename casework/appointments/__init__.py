"""Agents' availability, slots, airport booking, the agents' calendar and ICS files."""
