"""Million-ticket benchmarks: a loader that builds a large Attenda and measurements of the agent's
pages and queries against it, on SQLite and PostgreSQL (see README.md)."""
