from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebChannelConfig(AppConfig):
    """Registers no deliverer: a web-form ticket is answered by email, which the composer offers
    when the ticket's own channel cannot send (tickets.delivery)."""

    name = "attenda.channels.web"
    label = "web"
    verbose_name = _("Web form")
