"""issuewire: recommender."""
