"""Use cases over the database. Each takes the session first and owns the commit."""
