"""What people see: the report, the week, the rules explained (no I/O of their own)."""
