"""Jobs the scheduler runs: each is one pass that finds its work by query (the scheduler is only a clock)."""
