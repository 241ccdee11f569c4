from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterChannelConfig(AppConfig):
    name = "attenda.channels.counter"
    label = "counter"
    verbose_name = _("Office counter")
