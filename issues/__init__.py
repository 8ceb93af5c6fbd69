"""issuewire: issues."""
