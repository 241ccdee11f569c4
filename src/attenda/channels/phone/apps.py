from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PhoneChannelConfig(AppConfig):
    name = "attenda.channels.phone"
    label = "phone"
    verbose_name = _("Phone")

    def ready(self) -> None:
        from attenda.channels.phone import ivr
        from attenda.channels.phone.models import MenuOption, PhoneLine, VoiceMenu
        from attenda.routing.models import TeamCalendar

        # The voice menu keeps each line's setup for a while (ivr.line_setup): a change to a line,
        # its menus or its team's opening hours is heard at the next call in this process.
        for model in (PhoneLine, VoiceMenu, MenuOption, TeamCalendar):
            post_save.connect(
                ivr.forget_lines, sender=model, dispatch_uid=f"phone-{model.__name__}"
            )
            post_delete.connect(
                ivr.forget_lines, sender=model, dispatch_uid=f"phone-{model.__name__}-deleted"
            )
