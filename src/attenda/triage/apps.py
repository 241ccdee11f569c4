"""Triage: what Attenda reads in each message as it arrives (language, kind, team, tone, abuse)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "attenda.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from attenda.tickets import arrivals
        from attenda.triage.language import detector
        from attenda.triage.services import triage_entry

        arrivals.register(triage_entry, prepare=detector)
