"""issuewire: crawler."""
