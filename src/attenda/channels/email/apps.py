from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "attenda.channels.email"
    label = "email"
    verbose_name = _("Email")

    def ready(self) -> None:
        from attenda.channels.email.outbound import queue_reply, reply_route
        from attenda.tickets import delivery
        from attenda.tickets.models import Channel

        delivery.register(Channel.EMAIL, queue_reply, reply_route)
