"""Documents attached to a case: checked, scanned for viruses, stored outside the database."""
