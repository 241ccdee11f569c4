"""What the server's terminal keeps: the lines a person running Attenda needs, not the noise that
buried the sign-in banner."""

import logging


class WithoutClientErrorTraceback(logging.Filter):
    """A 403 or a 404 is a person following an old link or a page they may not open, not a fault:
    Django logs it with the exception that made it, and its traceback buried the terminal. The one
    line stays; the traceback goes. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class WithoutTaskProgress(logging.Filter):
    """The database worker says "running" and "successful" for every task at INFO, and sets that
    level itself, whatever the settings say: hundreds of lines a minute while mail goes out. Its
    warnings and errors still show; a task that gave up is also listed under Failed tasks."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith(("django_tasks", "django_tasks_db"))
            and record.levelno < logging.WARNING
        )
