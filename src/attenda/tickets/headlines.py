"""One sentence per timeline entry saying what happened, in the reader's language; the entry's own
text, if any, is shown below it."""

from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext as _

from attenda.agents.models import Skill
from attenda.routing.assignment import Rule
from attenda.routing.tasks import escalation_text
from attenda.tickets.forms import Colleagues
from attenda.tickets.models import EntryKind, Kind, Priority, Status, TimelineEntry

# headline(data, team_name) for the entries another app writes, by the key their data carries
# (triage registers "triage" in its AppConfig.ready): tickets import nothing of those apps.
Writer = Callable[[dict, Callable[[int | None], str]], str]
_WRITERS: dict[str, Writer] = {}


def register(key: str, writer: Writer) -> None:
    _WRITERS[key] = writer


# Lazy names from settings: looked up when the headline is written, in the reader's language.
LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _label(choices: type, value: object) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def headline(entry: TimelineEntry, colleagues: Colleagues) -> str:
    """One sentence saying what happened; the entry's text, if any, is shown below it."""

    def agent_name(agent_id: int | None) -> str:
        agent = colleagues.agents.get(agent_id)
        return agent.display_name if agent else _("someone")

    def team_name(team_id: int | None) -> str:
        team = colleagues.teams.get(team_id)
        return team.name if team else _("no team")

    actor = entry.author_agent.display_name if entry.author_agent else _("Attenda")
    customer = entry.author_customer.name if entry.author_customer else _("The customer")
    channel = entry.get_channel_display()
    data = entry.data or {}
    kind = entry.kind
    if kind == EntryKind.MESSAGE:
        if channel:
            return _("%(customer)s wrote by %(channel)s") % {
                "customer": customer,
                "channel": channel,
            }
        return _("%(customer)s wrote") % {"customer": customer}
    if kind == EntryKind.REPLY:
        return _("%(agent)s replied by %(channel)s") % {"agent": actor, "channel": channel}
    if kind == EntryKind.ACKNOWLEDGEMENT:
        return _("Attenda confirmed receipt by %(channel)s") % {"channel": channel}
    if kind == EntryKind.NOTE:
        return _("Internal note by %(agent)s") % {"agent": actor}
    if kind == EntryKind.CALL:
        return _("Phone call with %(customer)s, logged by %(agent)s") % {
            "customer": customer,
            "agent": actor,
        }
    if kind == EntryKind.VISIT:
        return _("Office visit of %(customer)s, logged by %(agent)s") % {
            "customer": customer,
            "agent": actor,
        }
    if kind == EntryKind.STATUS_CHANGE:
        change = {
            "agent": actor,
            "from": _label(Status, data.get("from")),
            "to": _label(Status, data.get("to")),
        }
        if entry.author_agent is None:
            return _("The status changed from %(from)s to %(to)s.") % change
        return _("%(agent)s changed the status from %(from)s to %(to)s.") % change
    if kind == EntryKind.ASSIGNMENT and "rule" in data:
        return _routing_headline(data, agent_name, team_name(data.get("team")))
    if kind == EntryKind.ASSIGNMENT:
        to, before = data.get("to"), data.get("from")
        if data.get("override"):
            return _("%(agent)s overrode the assignment and gave the ticket to %(owner)s.") % {
                "agent": actor,
                "owner": agent_name(to),
            }
        if to is not None and to == entry.author_agent_id:
            return _("%(agent)s took the ticket.") % {"agent": actor}
        if to is None and before == entry.author_agent_id:
            return _("%(agent)s let the ticket go.") % {"agent": actor}
        if to is None:
            return _("%(agent)s took the ticket away from %(owner)s.") % {
                "agent": actor,
                "owner": agent_name(before),
            }
        return _("%(agent)s assigned the ticket to %(owner)s.") % {
            "agent": actor,
            "owner": agent_name(to),
        }
    if kind == EntryKind.TRANSFER:
        if data.get("to_agent"):
            return _("%(agent)s handed the ticket to %(owner)s (%(team)s). Hand-off note:") % {
                "agent": actor,
                "owner": agent_name(data["to_agent"]),
                "team": team_name(data.get("to_team")),
            }
        return _("%(agent)s handed the ticket to the team %(team)s. Hand-off note:") % {
            "agent": actor,
            "team": team_name(data.get("to_team")),
        }
    for key, writer in _WRITERS.items():
        if key in data:
            return writer(data, team_name)
    return _event_headline(actor, data)


def _routing_headline(data: dict, agent_name: Callable[[int | None], str], team: str) -> str:
    """Why Attenda gave the ticket to this agent or left it in the queue (routing.assignment)."""
    rule = data["rule"]
    names = {"owner": agent_name(data.get("to")), "team": team}
    if rule == Rule.PREVIOUS_OWNER:
        return _("Back with %(owner)s, who handled it before.") % names
    if rule == Rule.STANDING_AGENT:
        return _("Assigned to %(owner)s, the customer's agent.") % names
    if rule == Rule.BACKUP:
        names["agent"] = agent_name(data.get("for"))
        return (
            _(
                "Assigned to %(owner)s, backup of %(agent)s, the customer's agent, who is not available."
            )
            % names
        )
    if rule == Rule.QUALIFIED:
        names["language"] = LANGUAGE_NAMES.get(data.get("language"), data.get("language"))
        names["skill"] = _label(Skill, data.get("skill")) if data.get("skill") else ""
        if data.get("language") and data.get("skill"):
            return (
                _("Assigned to %(owner)s, who speaks %(language)s and has the skill %(skill)s.")
                % names
            )
        if data.get("skill"):
            return _("Assigned to %(owner)s, who has the skill %(skill)s.") % names
        return _("Assigned to %(owner)s, who speaks %(language)s.") % names
    if rule == Rule.ROUND_ROBIN:
        return _("Assigned to %(owner)s, next in turn in %(team)s.") % names
    if rule == Rule.LEAST_LOADED:
        return _("Assigned to %(owner)s, the least busy available agent of %(team)s.") % names
    if rule == Rule.EVERYONE_FULL:
        names["capacity"] = data.get("capacity")
        return (
            _(
                "Left in the queue of %(team)s: every available agent already has %(capacity)s open tickets."
            )
            % names
        )
    return _("Left in the queue of %(team)s: no agent of the team is available.") % names


def _event_headline(actor: str, data: dict) -> str:
    if "escalation" in data:
        return escalation_text(data["escalation"])
    if "handoff_read" in data:
        return _("%(agent)s read the hand-off note.") % {"agent": actor}
    if "tags" in data:
        tags = data["tags"].get("to") or []
        if not tags:
            return _("%(agent)s removed every tag.") % {"agent": actor}
        return _("%(agent)s set the tags to %(tags)s.") % {"agent": actor, "tags": ", ".join(tags)}
    if "changed" in data:
        sentences = []
        for field, change in data["changed"].items():
            if field == "kind":
                sentence = _("%(agent)s changed the kind from %(from)s to %(to)s.")
                choices = Kind
            else:
                sentence = _("%(agent)s changed the priority from %(from)s to %(to)s.")
                choices = Priority
            sentences.append(
                sentence
                % {
                    "agent": actor,
                    "from": _label(choices, change.get("from")),
                    "to": _label(choices, change.get("to")),
                }
            )
        return " ".join(sentences)
    return _("Note from Attenda")
