"""The worker's part of taking mail in: reading the mail kept waiting for it."""

from django.utils.translation import gettext_lazy

from attenda.channels.email import inbound
from attenda.core.tasks import background


@background(label=gettext_lazy("Reading mail kept for the worker"))
def read_waiting_mail() -> None:
    """Reads the mail kept waiting to be read (inbound.read_waiting); queued after the commits
    that kept it and every few seconds by the scheduler. Gives way after a minute: the next run
    goes on."""
    inbound.read_waiting(seconds=60)
