"""Domain services: every query and rule lives here once; callers own the transaction."""
