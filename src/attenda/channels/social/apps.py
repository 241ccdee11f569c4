from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialChannelConfig(AppConfig):
    name = "attenda.channels.social"
    label = "social"
    verbose_name = _("Messaging apps")

    def ready(self) -> None:
        from attenda.channels.social.outbound import queue_reply, reply_route
        from attenda.tickets import delivery
        from attenda.tickets.models import Channel

        delivery.register(Channel.SOCIAL, queue_reply, reply_route)
