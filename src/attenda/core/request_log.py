"""What the server log keeps of a request that went wrong on the client's side."""

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
