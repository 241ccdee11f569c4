from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "attenda.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core.signals import request_finished

        from attenda.core.middleware import end_the_pages_language

        request_finished.connect(
            end_the_pages_language, dispatch_uid="attenda.end_the_pages_language"
        )
