"""Follow-up interviews: what became of the person, domain by domain, kept as history."""
