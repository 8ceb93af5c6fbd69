"""issuewire: jobs."""
