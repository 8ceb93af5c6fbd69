"""issuewire: keywords."""
