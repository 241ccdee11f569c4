"""The one clock. Every service asks it for the time, so tests can move it with time-machine."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
