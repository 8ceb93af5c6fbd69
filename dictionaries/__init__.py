"""issuewire: dictionaries."""
