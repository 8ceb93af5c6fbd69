"""The editors' desk: a web console over the run database and the override file (docs/console.md)."""
