"""Django's SQLite backend, with the writers of one process taking turns at the write lock in order
(base.DatabaseWrapper); settings.py names it as the engine for SQLite."""
