from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ChatChannelConfig(AppConfig):
    name = "attenda.channels.chat"
    label = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from attenda.channels.chat import panels as chat_panels
        from attenda.channels.chat import queries
        from attenda.channels.chat.models import ChatWidget
        from attenda.channels.chat.outbound import chat_route, send_reply
        from attenda.tickets import delivery, panels
        from attenda.tickets.models import Channel

        delivery.register(Channel.CHAT, send_reply, chat_route, sets_entry=True)
        # The ticket page of a chat follows the chat live, as the Chats page does.
        panels.register_page(chat_panels.page_context)
        # The widget's endpoints keep their widget for a while (queries.widget_of_key): a change
        # saved in this process is heard at its next request.
        post_save.connect(queries.forget_widgets, sender=ChatWidget, dispatch_uid="chat-widget")
        post_delete.connect(
            queries.forget_widgets, sender=ChatWidget, dispatch_uid="chat-widget-deleted"
        )
