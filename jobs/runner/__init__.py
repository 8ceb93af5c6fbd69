"""Running hours: one hour's shell, backfill and the scheduler, retention, status, alerts and run logs."""
