"""Running the tracker in production: backups, metrics, request ids and log formats."""
