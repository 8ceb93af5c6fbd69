"""Publishing an hour: the Redis snapshot, the JSON feed file and the operator report."""
