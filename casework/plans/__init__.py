"""Individualised action plans: generation from rules, editing, versions, action follow-up."""
