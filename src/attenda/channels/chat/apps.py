from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatChannelConfig(AppConfig):
    name = "attenda.channels.chat"
    label = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from attenda.channels.chat.outbound import chat_route, send_reply
        from attenda.tickets import delivery
        from attenda.tickets.models import Channel

        delivery.register(Channel.CHAT, send_reply, chat_route)
