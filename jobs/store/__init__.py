"""The run database: the issue store (hours, history, feeds, rejects), its schema, and the run lock."""
