"""Managing the work: owners, priority, tags, bulk changes, saved views, notices to people."""
