"""What the audit log shows for each recorded action and detail, in the reader's language. The trail
keeps stable codes (``ticket.replied``, ``{"kind": {"from": "question", …}}``); people read labels.
A detail named like a field of the recorded model takes that field's name and choices, so most
need no entry here. Every action Attenda records has a label (tests/core/test_audit_log.py)."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from attenda.core.time_zones import zone_label

ACTIONS = {
    "agent.access_ended": gettext_lazy("Access ended"),
    "agent.availability_changed": gettext_lazy("Availability changed"),
    "agent.created": gettext_lazy("Agent created"),
    "agent.invited": gettext_lazy("Agent invited"),
    "agent.password_changed": gettext_lazy("Password changed"),
    "agent.password_set_by_invitation": gettext_lazy("Password set from an invitation"),
    "agent.password_set_by_password_reset": gettext_lazy("Password set from a reset link"),
    "agent.preferences_changed": gettext_lazy("Preferences changed"),
    "agent.second_factor_reset": gettext_lazy("Second factor reset"),
    "agent.second_factor_set": gettext_lazy("Second factor set up"),
    "agent.status_changed": gettext_lazy("Agent status changed"),
    "agent.updated": gettext_lazy("Agent changed"),
    "api_token.issued": gettext_lazy("API token issued"),
    "api_token.revoked": gettext_lazy("API token revoked"),
    "chat.accepted": gettext_lazy("Chat accepted"),
    "chat.ended": gettext_lazy("Chat ended"),
    "chat.limit_set": gettext_lazy("Chat limit set"),
    "chat.started": gettext_lazy("Chat started"),
    "chat.widget_added": gettext_lazy("Chat widget added"),
    "chat.widget_changed": gettext_lazy("Chat widget changed"),
    "customer.created": gettext_lazy("Customer created"),
    "customer.identities_added": gettext_lazy("Contact details added"),
    "customer.identity_change_refused": gettext_lazy("Contact detail change refused"),
    "customer.identity_removed": gettext_lazy("Contact detail removed"),
    "customer.merged": gettext_lazy("Customers merged"),
    "customer.standing_agent_set": gettext_lazy("Standing agent set"),
    "customer.updated": gettext_lazy("Customer changed"),
    "demo.loaded": gettext_lazy("Demo data loaded"),
    "mail.held": gettext_lazy("Mail held"),
    "mail.let_through": gettext_lazy("Held mail let through"),
    "mail.reprocessed": gettext_lazy("Mail processed again"),
    "mail.set_aside": gettext_lazy("Mail set aside"),
    "mailbox.changed": gettext_lazy("Mailbox changed"),
    "mailbox.created": gettext_lazy("Mailbox created"),
    "office.addresses_renewed": gettext_lazy("Kiosk and display addresses renewed"),
    "office.changed": gettext_lazy("Office changed"),
    "office.counter_changed": gettext_lazy("Counter changed"),
    "office.counter_created": gettext_lazy("Counter added"),
    "office.created": gettext_lazy("Office created"),
    "office.service_changed": gettext_lazy("Office service changed"),
    "office.service_created": gettext_lazy("Office service added"),
    "phone.callback_requested": gettext_lazy("Call-back requested"),
    "phone.number_blocked": gettext_lazy("Phone number blocked"),
    "phone.number_unblocked": gettext_lazy("Phone number unblocked"),
    "phone.telephone_system_saved": gettext_lazy("Telephone system saved"),
    "portal.signed_in": gettext_lazy("Customer signed in to the portal"),
    "service_level.changed": gettext_lazy("Service level changed"),
    "service_level.created": gettext_lazy("Service level created"),
    "service_level.deleted": gettext_lazy("Service level deleted"),
    "sign_in_policy.changed": gettext_lazy("Sign-in policy changed"),
    "social_account.changed": gettext_lazy("Messaging account changed"),
    "social_account.created": gettext_lazy("Messaging account added"),
    "statutory_rule.added": gettext_lazy("Legal deadline rule added"),
    "team.calendar_removed": gettext_lazy("Business hours removed"),
    "team.calendar_saved": gettext_lazy("Business hours saved"),
    "team.created": gettext_lazy("Team created"),
    "team.routing_changed": gettext_lazy("Team routing changed"),
    "ticket.assigned": gettext_lazy("Ticket assigned"),
    "ticket.copies_confirmed": gettext_lazy("Copied people confirmed"),
    "ticket.details_changed": gettext_lazy("Ticket details changed"),
    "ticket.escalated": gettext_lazy("Ticket escalated"),
    "ticket.handoff_read": gettext_lazy("Hand-over read"),
    "ticket.merged": gettext_lazy("Tickets merged"),
    "ticket.noted": gettext_lazy("Note added"),
    "ticket.received": gettext_lazy("Message received"),
    "ticket.replied": gettext_lazy("Reply sent"),
    "ticket.routed": gettext_lazy("Ticket routed"),
    "ticket.solved_by_customer": gettext_lazy("Marked solved by the customer"),
    "ticket.status_changed": gettext_lazy("Status changed"),
    "ticket.tagged": gettext_lazy("Tags changed"),
    "ticket.transferred": gettext_lazy("Ticket transferred"),
    "triage.abuse_detected": gettext_lazy("Abuse detected"),
    "triage.abuse_revealed": gettext_lazy("Hidden abusive text shown"),
    "triage.customer_flag_lifted": gettext_lazy("Customer's abuse flag lifted"),
    "triage.flag_cleared": gettext_lazy("Triage flag cleared"),
    "triage.model_trained": gettext_lazy("Triage model trained"),
    "triage.priority_raised": gettext_lazy("Priority raised by triage"),
    "triage.rule_reset": gettext_lazy("Triage rule reset"),
    "triage.rule_saved": gettext_lazy("Triage rule saved"),
    "triage.suggestion_accepted": gettext_lazy("Triage suggestion accepted"),
    "triage.suggestion_applied": gettext_lazy("Triage suggestion applied"),
    "triage.threshold_set": gettext_lazy("Triage threshold set"),
    "visit.called": gettext_lazy("Visitor called to a counter"),
    "visit.no_show": gettext_lazy("Visitor did not come"),
    "visit.recalled": gettext_lazy("Visitor called again"),
    "visit.served": gettext_lazy("Visitor served"),
    "visit.transferred": gettext_lazy("Visitor sent to another service"),
    "web_form.released": gettext_lazy("Held web form let through"),
}

# Details that are not a field of the recorded model.
DETAILS = {
    "absorbed": gettext_lazy("merged into it"),
    "accuracy": gettext_lazy("accuracy"),
    "after": gettext_lazy("after"),
    "agents": gettext_lazy("agents"),
    "before": gettext_lazy("before"),
    "changed": gettext_lazy("changed"),
    "customers": gettext_lazy("customers"),
    "entry": gettext_lazy("timeline entry"),
    "fields": gettext_lazy("fields"),
    "from": gettext_lazy("from"),
    "identities": gettext_lazy("contact details"),
    "opened": gettext_lazy("opened a ticket"),
    "owner": gettext_lazy("owner"),
    "state": gettext_lazy("state"),
    "tags": gettext_lazy("tags"),
    "teams": gettext_lazy("teams"),
    "tickets": gettext_lazy("tickets"),
    "to": gettext_lazy("to"),
    "week": gettext_lazy("week"),
    "why": gettext_lazy("why"),
}


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else _("Other change")


def record_model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def record_label(object_type: str, object_id: str) -> str:
    """ "Ticket 12" rather than tickets.ticket:12: the model's own name, in the reader's language."""
    model = record_model(object_type)
    if model is None:
        return _("Record %(number)s") % {"number": object_id}
    return f"{capfirst(model._meta.verbose_name)} {object_id}"


def record_kinds() -> list[tuple[str, str]]:
    """Every kind of record Attenda audits, for the log's filter: (code, name in the reader's
    language), by name."""
    kinds = [
        (model._meta.label_lower, str(capfirst(model._meta.verbose_name)))
        for model in apps.get_models()
        if model.__module__.startswith("attenda.")
    ]
    return sorted(kinds, key=lambda kind: kind[1])


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def detail_label(model: type[models.Model] | None, key: str) -> str:
    field = _field(model, key)
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    label = DETAILS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def detail_value(model: type[models.Model] | None, key: str, value) -> str:
    """A change as "from → to"; a coded value as its field's label; yes/no for truth values."""
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return (
            f"{detail_value(model, key, value['from'])} → {detail_value(model, key, value['to'])}"
        )
    if isinstance(value, dict):
        return ", ".join(
            f"{detail_label(model, inner)}: {detail_value(model, inner, item)}"
            for inner, item in value.items()
        )
    if isinstance(value, list):
        return ", ".join(detail_value(model, key, item) for item in value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    field = _field(model, key)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if key == "time_zone":
        return zone_label(str(value), get_language() or "en")
    return str(value)


def details(object_type: str, data: dict) -> str:
    """The recorded values as "name: value" pairs, in the reader's language."""
    model = record_model(object_type)
    return "; ".join(
        f"{detail_label(model, key)}: {detail_value(model, key, value)}"
        for key, value in data.items()
    )
