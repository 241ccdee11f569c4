"""The sentences that say on a timeline what triage did, and why, in the reader's language."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from attenda.tickets.models import Kind, Priority
from attenda.triage.models import FlagReason


def _label(choices: type, value: object) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def triage_headline(data: dict, team_name: Callable[[int | None], str]) -> str:
    what = data.get("triage")
    if what == "applied":
        values = {
            "confidence": round(float(data.get("confidence", 0)) * 100),
            "threshold": round(float(data.get("threshold", 0)) * 100),
        }
        sentences = []
        changed = data.get("changed", {})
        if "kind" in changed:
            sentences.append(
                _(
                    "Attenda set the kind to %(kind)s: it was %(confidence)s%% sure, more than the"
                    " %(threshold)s%% an admin chose for applying suggestions."
                )
                % {**values, "kind": _label(Kind, changed["kind"].get("to"))}
            )
        if "team" in changed:
            sentences.append(
                _("Attenda gave the ticket to the team %(team)s, as it suggested.")
                % {"team": team_name(changed["team"].get("to"))}
            )
        return " ".join(sentences)
    if what == "priority_raised":
        values = {"to": _label(Priority, data.get("to"))}
        if data.get("why") == "urgent":
            return (
                _("Attenda raised the priority to %(to)s: the customer says it is urgent.") % values
            )
        if "negative_tone" in data:
            values["tone"] = round(float(data["negative_tone"]) * 100)
            return (
                _(
                    "Attenda raised the priority to %(to)s: the customer is angry (negative tone"
                    " %(tone)s%%, the share of messages so scored that are angry)."
                )
                % values
            )
        return _("Attenda raised the priority to %(to)s: the customer is angry.") % values
    if what == "flagged":
        if data.get("reason") == FlagReason.ABUSE:
            return _(
                "The customer's message is abusive: the ticket is flagged for a supervisor, who"
                " was told."
            )
        return _(
            "The customer speaks of leaving or of taking the matter further: the ticket is"
            " flagged for a supervisor."
        )
    return _("Note from Attenda")
