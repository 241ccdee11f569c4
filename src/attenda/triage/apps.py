"""Triage: what Attenda reads in each message as it arrives (language, kind, team, tone, abuse)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "attenda.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from attenda.tickets import arrivals, headlines, panels
        from attenda.triage import panels as triage_panels
        from attenda.triage.headlines import triage_headline
        from attenda.triage.reading import prepare
        from attenda.triage.services import read_ahead, triage_entry

        arrivals.register(triage_entry, prepare=prepare, read_ahead=read_ahead)
        # The ticket page asks; triage answers with its panel, marks, draft and sentences.
        panels.register_page(triage_panels.page_context)
        panels.register_timeline(triage_panels.timeline_context)
        panels.register_draft("boundary", triage_panels.boundary_draft)
        headlines.register("triage", triage_headline)
