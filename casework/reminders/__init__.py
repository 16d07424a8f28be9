"""Follow-up rules, reminders, notifications, e-mail and the scheduler's jobs."""
