"""Workflow notifications: who hears of what (listeners), the list, the header count, per-kind e-mail preferences."""
