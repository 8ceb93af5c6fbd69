"""issuewire: titling."""
