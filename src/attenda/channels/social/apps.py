from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SocialChannelConfig(AppConfig):
    name = "attenda.channels.social"
    label = "social"
    verbose_name = _("Messaging apps")

    def ready(self) -> None:
        from attenda.channels.social import queries
        from attenda.channels.social.models import SocialAccount
        from attenda.channels.social.outbound import queue_reply, reply_route
        from attenda.tickets import delivery
        from attenda.tickets.models import Channel

        delivery.register(Channel.SOCIAL, queue_reply, reply_route)

        # Webhooks keep their account for a while (queries.webhook_account): a changed secret, a
        # deactivated or deleted account is heard at the next webhook in this process.
        post_save.connect(
            queries.forget_accounts, sender=SocialAccount, dispatch_uid="social-account"
        )
        post_delete.connect(
            queries.forget_accounts, sender=SocialAccount, dispatch_uid="social-account-deleted"
        )
