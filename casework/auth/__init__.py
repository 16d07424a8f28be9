"""Users, roles, sign-in, server-side sessions, login throttling."""
