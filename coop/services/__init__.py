"""Use cases. Each takes (session, actor, data), checks authorisation and policy, writes,
flushes and never commits: the entry point (request, CLI command) commits once."""
