"""issuewire: clustering."""
