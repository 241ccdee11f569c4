"""Every write of triage: reading each inbound message as it arrives and acting on what it says
(language, kind and team suggestions, priority, supervisor flags, abuse), the agents' and
supervisors' answers to it, the admin's rules and threshold, and learning from agents' labels."""

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from sklearn.metrics import accuracy_score, f1_score

from attenda.agents.models import Agent
from attenda.core import audit, clock
from attenda.core.inserts import insert
from attenda.customers.models import Customer
from attenda.tickets import services as tickets
from attenda.tickets.models import EntryKind, Kind, Priority, Ticket, TimelineEntry
from attenda.tickets.permissions import can_view, require_view
from attenda.triage import queries, tone
from attenda.triage import reading as engine
from attenda.triage.models import (
    CustomerFlag,
    EntryReading,
    FlagReason,
    KindRule,
    Reveal,
    SuggestionState,
    SupervisorFlag,
    TicketTriage,
    TrainedModel,
    TriageSettings,
    new_version,
)
from attenda.triage.tasks import alert_supervisors

# Triage runs while the message is being received, so it reads at most this much of it: the opening
# of a message says what it is about, and the engine's time grows with the text.
TEXT_LIMIT = 1000
# A reading never takes a complaint or a warranty claim away by itself: they carry legal deadlines.
KEPT_KINDS = (Kind.COMPLAINT, Kind.WARRANTY_CLAIM)
# Learning needs this many labelled tickets; one in HOLD_OUT_EVERY is kept out to measure it.
MIN_LABELLED = 20
HOLD_OUT_EVERY = 5
MAX_LABELLED = 20_000


@dataclass(frozen=True)
class Configuration:
    version: str
    threshold: float
    rules: tuple
    model: object | None


logger = logging.getLogger(__name__)
_loaded = threading.local()


def _settings_row(*, lock: bool = False) -> TriageSettings:
    rows = TriageSettings.objects.select_for_update() if lock else TriageSettings.objects
    row = rows.filter(pk=1).first()
    if row is None:
        row, _created = TriageSettings.objects.get_or_create(pk=1)
    return row


def effective_rules(rows: Sequence[KindRule]) -> tuple:
    """Attenda's rules, each replaced by the admin's rule for the same kind and language."""
    own = {(row.kind, row.language): row for row in rows}
    rules = [rule for rule in engine.DEFAULT_KIND_RULES if (rule.kind, rule.language) not in own]
    rules.extend(
        engine.KindRule(
            kind=row.kind, language=row.language, keywords=row.keyword_list, weight=row.weight
        )
        for row in own.values()
    )
    return tuple(rules)


def configuration() -> Configuration:
    """The rules and model in force. One written-out query while they are unchanged (it runs on
    every message received, and building it cost Django more than running it): the settings row's
    version says when this process must load them again."""
    current = getattr(_loaded, "configuration", None)
    if current is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version, auto_apply_threshold FROM triage_triagesettings WHERE id = 1"
            )
            found = cursor.fetchone()
        if found is not None and found[0] == current.version:
            if current.threshold != found[1]:
                current = Configuration(current.version, found[1], current.rules, current.model)
                _loaded.configuration = current
            return current
    row = _settings_row()
    model = None
    if row.model_id is not None:
        stored = TrainedModel.objects.filter(pk=row.model_id).values_list("data", flat=True).first()
        try:
            model = engine.TriageModel.from_bytes(bytes(stored)) if stored is not None else None
        except ValueError:
            # A model of an older shape: the rules decide until the next retraining replaces it.
            logger.warning("The triage model %s is of an older format; using rules", row.model_id)
    current = Configuration(
        version=row.version,
        threshold=row.auto_apply_threshold,
        rules=effective_rules(queries.own_rules()),
        model=model,
    )
    _loaded.configuration = current
    return current


def read_text(
    text: str,
    *,
    subject: str = "",
    fallback_language: str = "",
    config: Configuration | None = None,
) -> "engine.Reading":
    """The engine's reading with the rules and model in force, of the opening of the text."""
    config = config or configuration()
    return engine.read(
        text[:TEXT_LIMIT],
        subject=subject[:TEXT_LIMIT],
        fallback_language=fallback_language,
        kind_rules=config.rules,
        model=config.model,
    )


# Reading what arrives


@dataclass(frozen=True)
class ReadAhead:
    """A message read before ``receive()`` writes it, and the rules and model it was read with."""

    reading: "engine.Reading"
    config: Configuration

    @property
    def language(self) -> str:
        return self.reading.language


def read_ahead(
    *, kind: str, text: str, subject: str, customer: Customer, language: str
) -> ReadAhead | None:
    """The reading of a customer's message before ``receive()`` writes it (``arrivals``): the
    language found goes into the ticket and the entry as they are written, instead of two UPDATEs
    after, and ``triage_entry`` acts on it without reading again. ``subject`` is the new ticket's,
    "" on an existing one. None for what triage does not read, and when the reading failed: the
    message is then read, or not, as ``triage_entry`` decides."""
    if kind != EntryKind.MESSAGE or not text.strip():
        return None
    try:
        config = configuration()
        reading = read_text(
            text,
            subject=_own_subject(subject, text),
            fallback_language=customer.language or language,
            config=config,
        )
    except Exception:  # noqa: BLE001 - whatever went wrong, the message itself must be kept.
        logger.exception("Triage could not read a message before it was written")
        return None
    return ReadAhead(reading=reading, config=config)


def triage_entry(
    *, entry: TimelineEntry, ticket: Ticket, opened: bool, ahead: ReadAhead | None = None
) -> EntryReading | None:
    """Reads a message from a customer as ``receive()`` puts it on the timeline, and acts on it in
    the same transaction. Only what customers wrote themselves is read: a call or a visit on the
    timeline is an agent's account of it. A failure of triage is logged and leaves the message
    received as if triage were not there: a message is never lost to it. ``ahead``: the message
    as ``read_ahead`` read it."""
    if entry.kind != EntryKind.MESSAGE or entry.author_customer_id is None:
        return None
    if not entry.body.strip():
        return None
    try:
        with transaction.atomic():
            return _read_and_act(entry, ticket, opened=opened, ahead=ahead)
    except Exception:  # noqa: BLE001 - whatever went wrong, the message itself must be kept.
        logger.exception("Triage of timeline entry %s failed", entry.pk)
        return None


def _read_and_act(
    entry: TimelineEntry, ticket: Ticket, *, opened: bool, ahead: ReadAhead | None
) -> EntryReading:
    customer = entry.author_customer
    if ahead is not None:
        config, found = ahead.config, ahead.reading
    else:
        config = configuration()
        found = read_text(
            entry.body,
            subject=_own_subject(ticket.subject, entry.body) if opened else "",
            fallback_language=customer.language or entry.language,
            config=config,
        )
    # Too short to tell and nothing to fall back on: the channel's guess, if any, stays.
    if found.language and found.language != entry.language:
        entry.language = found.language
        TimelineEntry.objects.filter(pk=entry.pk).update(language=found.language)
    if found.language and found.language != ticket.language and (opened or not ticket.language):
        ticket.language = found.language
        ticket.save(update_fields=["language"])
    if opened and found.abusive:
        # The subject is shown in every list and page title, unasked: an abusive one is replaced, and
        # the customer's own words stay in the message, behind its warning.
        with translation.override(settings.LANGUAGE_CODE):
            ticket.subject = _("A message withheld because it may insult or threaten")
        ticket.save(update_fields=["subject"])
    if found.language and not customer.language:
        # What the customer writes in is the best guess of their language until someone sets it.
        Customer.objects.filter(pk=customer.pk, language="").update(language=found.language)
    reading = insert(
        EntryReading(
            entry=entry,
            ticket=ticket,
            owner_id=ticket.owner_id,
            created_at=entry.created_at,
            language=found.language or entry.language,
            language_confidence=found.language_confidence,
            kind=found.kind,
            kind_confidence=found.kind_confidence,
            team_id=found.team_id if _team_exists(found.team_id) else None,
            team_confidence=found.team_confidence,
            anger=found.anger,
            urgent=found.urgent,
            leaving=found.leaving,
            abusive=found.abusive,
            abuse=found.abuse,
            cues=list(found.cues),
        )
    )
    suggestion = None
    if not opened:
        suggestion = TicketTriage.objects.select_for_update().filter(ticket=ticket).first()
    if suggestion is None:
        suggestion = _suggest(ticket, reading, threshold=config.threshold)
    if (reading.anger >= tone.ANGRY or reading.urgent) and not suggestion.priority_raised:
        _raise_priority(ticket, reading, suggestion)
    if reading.leaving:
        _flag(ticket, reading, FlagReason.LEAVING)
    if reading.abusive:
        _abusive(ticket, reading, customer)
    return reading


def _team_exists(team_id: int | None) -> bool:
    """A model learnt before a team was deleted may still suggest it. Asked of most messages, so
    written out."""
    if team_id is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM agents_team WHERE id = %s", [team_id])
        return cursor.fetchone() is not None


def _suggest(ticket: Ticket, reading: EntryReading, *, threshold: float) -> TicketTriage:
    suggestion = insert(
        TicketTriage(
            ticket=ticket,
            entry=reading.entry,
            kind=reading.kind,
            kind_confidence=reading.kind_confidence,
            team_id=reading.team_id,
            team_confidence=reading.team_confidence,
        )
    )
    changed = {}
    if (
        reading.kind_confidence > threshold
        and reading.kind != ticket.kind
        and ticket.kind not in KEPT_KINDS
    ):
        changed["kind"] = {"from": ticket.kind, "to": reading.kind}
        ticket.kind = reading.kind
        tickets.hold_legal_deadline(ticket, ticket.customer)
    if reading.team_id and reading.team_confidence > threshold and ticket.team_id is None:
        changed["team"] = {"from": None, "to": reading.team_id}
        ticket.team_id = reading.team_id
    if not changed:
        return suggestion
    ticket.save(update_fields=["kind", "team", "legal_deadline", "legal_consequence"])
    suggestion.state = SuggestionState.APPLIED
    suggestion.decided_at = clock.now()
    suggestion.save(update_fields=["state", "decided_at"])
    confidence = reading.kind_confidence if "kind" in changed else reading.team_confidence
    tickets.add_event(
        ticket=ticket,
        body="",
        data={
            "triage": "applied",
            "changed": changed,
            "confidence": round(confidence, 2),
            "threshold": threshold,
        },
    )
    audit.record(actor=None, action="triage.suggestion_applied", target=ticket, **changed)
    return suggestion


def _raise_priority(ticket: Ticket, reading: EntryReading, suggestion: TicketTriage) -> None:
    suggestion.priority_raised = True
    suggestion.save(update_fields=["priority_raised"])
    if ticket.priority >= Priority.URGENT:
        return
    before = ticket.priority
    ticket.priority = before + 1
    ticket.save(update_fields=["priority"])
    why = "urgent" if reading.urgent else "angry"
    data = {"triage": "priority_raised", "from": before, "to": ticket.priority, "why": why}
    if why == "angry":
        # The calibrated chance that the message is angry, shown beside the reason.
        data["negative_tone"] = round(tone.negative_tone(reading.anger), 2)
    tickets.add_event(ticket=ticket, body="", data=data)
    audit.record(
        actor=None, action="triage.priority_raised", target=ticket, to=ticket.priority, why=why
    )


def _flag(ticket: Ticket, reading: EntryReading, reason: FlagReason) -> None:
    if not SupervisorFlag.objects.filter(ticket=ticket, cleared_at__isnull=True).exists():
        SupervisorFlag.objects.create(
            ticket=ticket,
            entry=reading.entry,
            team_id=ticket.team_id,
            reason=reason,
            flagged_at=reading.created_at,
        )
    tickets.add_event(
        ticket=ticket,
        body="",
        data={"triage": "flagged", "reason": reason, "entry": reading.entry_id},
    )


def _abusive(ticket: Ticket, reading: EntryReading, customer: Customer) -> None:
    """Abuse is answered by people: the customer is flagged and the supervisors told. The ticket's
    status, priority and kind stay as they are, so a legitimate complaint is never lost to it."""
    CustomerFlag.objects.create(
        customer=customer,
        ticket=ticket,
        entry=reading.entry,
        abuse=reading.abuse or "insult",
        raised_at=reading.created_at,
    )
    _flag(ticket, reading, FlagReason.ABUSE)
    audit.record(actor=None, action="triage.abuse_detected", target=ticket, entry=reading.entry_id)
    alert_supervisors.enqueue_on_commit(reading.entry_id)


# What agents and supervisors do with it


@transaction.atomic
def accept_suggestion(*, ticket: Ticket, agent: Agent) -> Ticket:
    """The agent agrees with triage: the ticket takes the suggested kind, and the suggested team
    with a hand-off note that says why."""
    require_view(agent, ticket)
    suggestion = TicketTriage.objects.select_for_update().filter(ticket=ticket).first()
    if suggestion is None or suggestion.state != SuggestionState.PENDING:
        raise ValidationError(_("There is no suggestion waiting on this ticket."))
    ticket = tickets.change_details(ticket=ticket, actor=agent, kind=suggestion.kind)
    if suggestion.team_id and suggestion.team_id != ticket.team_id:
        tickets.transfer(
            ticket=ticket,
            actor=agent,
            to_team=suggestion.team,
            note=_("Moved to the team Attenda suggested for this kind of message."),
        )
    suggestion.state = SuggestionState.ACCEPTED
    suggestion.decided_at = clock.now()
    suggestion.decided_by = agent
    suggestion.save(update_fields=["state", "decided_at", "decided_by"])
    audit.record(actor=agent, action="triage.suggestion_accepted", target=ticket)
    return Ticket.objects.get(pk=ticket.pk)


def _abusive_entry(agent: Agent, entry_id: int) -> TimelineEntry:
    """An abusive message on a ticket the agent may see, or TimelineEntry.DoesNotExist."""
    entry = (
        TimelineEntry.objects.select_related("ticket__merged_into")
        .filter(pk=entry_id, reading__abusive=True)
        .first()
    )
    if entry is None:
        raise TimelineEntry.DoesNotExist
    ticket = entry.ticket
    if not (
        can_view(agent, ticket) or (ticket.merged_into and can_view(agent, ticket.merged_into))
    ):
        raise TimelineEntry.DoesNotExist
    return entry


@transaction.atomic
def reveal(*, entry_id: int, agent: Agent) -> TimelineEntry:
    """The agent chose to read an abusive message. Audited: who read it, and when."""
    if not agent.is_active:
        raise PermissionDenied
    entry = _abusive_entry(agent, entry_id)
    _reveal, created = Reveal.objects.get_or_create(entry=entry, agent=agent)
    if created:
        audit.record(
            actor=agent, action="triage.abuse_revealed", target=entry.ticket, entry=entry.pk
        )
    return entry


@transaction.atomic
def take_over(*, ticket: Ticket, supervisor: Agent) -> Ticket:
    """A supervisor of the ticket's team takes an abusive conversation off an agent's hands."""
    require_view(supervisor, ticket)
    if not supervisor.manages_team(ticket.team_id):
        raise PermissionDenied
    return tickets.assign(
        ticket=ticket,
        owner=supervisor,
        actor=supervisor,
        reason=_("Taken over by a supervisor."),
    )


@transaction.atomic
def clear_flag(*, flag_id: int, supervisor: Agent) -> SupervisorFlag:
    flag = (
        SupervisorFlag.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None or not supervisor.is_active or not supervisor.manages_team(flag.ticket.team_id):
        raise PermissionDenied
    if flag.cleared_at is None:
        flag.cleared_at = clock.now()
        flag.cleared_by = supervisor
        flag.save(update_fields=["cleared_at", "cleared_by"])
        audit.record(actor=supervisor, action="triage.flag_cleared", target=flag.ticket)
    return flag


@transaction.atomic
def lift_customer_flags(*, customer: Customer, supervisor: Agent) -> int:
    """The flag comes off the customer; its history stays."""
    if not (supervisor.is_active and supervisor.is_supervisor):
        raise PermissionDenied
    lifted = CustomerFlag.objects.filter(customer=customer, lifted_at__isnull=True).update(
        lifted_at=clock.now(), lifted_by=supervisor
    )
    if lifted:
        audit.record(
            actor=supervisor, action="triage.customer_flag_lifted", target=customer, count=lifted
        )
    return lifted


def boundary_reply(*, ticket: Ticket) -> str:
    """A calm reply that sets a boundary, in the ticket's language, for the agent to adapt."""
    language = ticket.language or ticket.customer.language or "en"
    with translation.override(language):
        return _(
            "Dear %(name)s,\n\nWe want to help you and we are working on your request. We ask"
            " you to keep our conversation respectful: we cannot go on with messages that insult"
            " or threaten the people who help you. If that happens again, we will continue only"
            " in writing.\n\nThank you for your understanding."
        ) % {"name": ticket.customer_name}


def handoff_note() -> str:
    """What an agent handing over an abusive conversation says, for them to complete."""
    return _(
        "I am handing over this conversation because the customer was abusive. The customer needs:"
    )


# What admins decide


@transaction.atomic
def set_threshold(*, admin: Agent, threshold: float) -> TriageSettings:
    if not (admin.is_active and admin.is_admin):
        raise PermissionDenied
    if not 0.5 <= threshold <= 1:
        raise ValidationError({"threshold": _("Choose a value between 0.5 and 1.")})
    row = _settings_row(lock=True)
    row.auto_apply_threshold = threshold
    row.save(update_fields=["auto_apply_threshold"])
    audit.record(actor=admin, action="triage.threshold_set", target=row, threshold=threshold)
    return row


def _rules_changed() -> None:
    row = _settings_row(lock=True)
    row.version = new_version()
    row.save(update_fields=["version"])


@transaction.atomic
def save_kind_rule(
    *, admin: Agent, kind: str, language: str, keywords: str, weight: float = 1.0
) -> KindRule:
    if not (admin.is_active and admin.is_admin):
        raise PermissionDenied
    rule = KindRule.objects.filter(kind=kind, language=language).first() or KindRule(
        kind=kind, language=language
    )
    rule.keywords = "\n".join(
        line.strip().lower() for line in keywords.splitlines() if line.strip()
    )
    if not rule.keywords:
        raise ValidationError({"keywords": _("Give at least one word or phrase.")})
    rule.weight = weight
    rule.updated_at = clock.now()
    rule.updated_by = admin
    rule.full_clean()
    rule.save()
    _rules_changed()
    audit.record(actor=admin, action="triage.rule_saved", target=rule, kind=kind, language=language)
    return rule


@transaction.atomic
def reset_kind_rule(*, admin: Agent, kind: str, language: str) -> None:
    """Back to Attenda's own rule for this kind and language."""
    if not (admin.is_active and admin.is_admin):
        raise PermissionDenied
    deleted, _detail = KindRule.objects.filter(kind=kind, language=language).delete()
    if deleted:
        _rules_changed()
        audit.record(
            actor=admin,
            action="triage.rule_reset",
            target=_settings_row(),
            kind=kind,
            language=language,
        )


# Learning from agents' labels


@dataclass(frozen=True)
class Labelled:
    ticket_id: int
    text: str
    subject: str
    kind: str
    team_id: int | None


def labelled_tickets(limit: int = MAX_LABELLED) -> list[Labelled]:
    """The newest labelled tickets (queries.labelled), with the text of their first message."""
    rows = (
        queries.labelled()
        .values_list(
            "ticket_id", "entry__body", "ticket__subject", "ticket__kind", "ticket__team_id"
        )
        .order_by("-ticket_id")[:limit]
    )
    return [
        Labelled(
            ticket_id,
            (body or "")[:TEXT_LIMIT],
            _own_subject(subject, body or "")[:TEXT_LIMIT],
            kind,
            team_id,
        )
        for ticket_id, body, subject, kind, team_id in rows
    ]


def _own_subject(subject: str, body: str) -> str:
    """The subject the customer wrote; one made from the message's first line would count those
    words twice."""
    return "" if body.lstrip().startswith(subject) else subject


def _predicted_kinds(examples: Sequence[Labelled], rules: tuple, model: object | None) -> list[str]:
    return [
        engine.read(example.text, subject=example.subject, kind_rules=rules, model=model).kind
        for example in examples
    ]


def _scores(truth: list[str], predicted: list[str]) -> tuple[float, float]:
    """Of the whole reading (rules, then the model where it is sure), as agents see it."""
    return (
        float(accuracy_score(truth, predicted)),
        float(f1_score(truth, predicted, average="macro", zero_division=0)),
    )


def retrain(*, actor: Agent | None = None) -> TrainedModel | None:
    """Learns kind and team from agents' labelled tickets, measures the model on one ticket in five
    held out of its training beside the keyword rules alone, and puts it in force when it does at
    least as well as the rules. None when there is too little to learn from."""
    if actor is not None and not (actor.is_active and actor.is_admin):
        raise PermissionDenied
    examples = labelled_tickets()
    held_out = [example for example in examples if example.ticket_id % HOLD_OUT_EVERY == 0]
    training = [example for example in examples if example.ticket_id % HOLD_OUT_EVERY != 0]
    if len(examples) < MIN_LABELLED or not held_out or len({e.kind for e in training}) < 2:
        return None
    rules = configuration().rules
    # The model reads what read() gives it: the subject, then the message.
    model = engine.TriageModel.train(
        [
            f"{example.subject}\n{example.text}" if example.subject else example.text
            for example in training
        ],
        [example.kind for example in training],
        [example.team_id for example in training],
        kind_rules=rules,
    )
    truth = [example.kind for example in held_out]
    accuracy, macro_f1 = _scores(truth, _predicted_kinds(held_out, rules, model))
    rules_accuracy, rules_macro_f1 = _scores(truth, _predicted_kinds(held_out, rules, None))
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.kind] = counts.get(example.kind, 0) + 1
    with transaction.atomic():
        stored = TrainedModel.objects.create(
            data=model.to_bytes(),
            trained_on=len(training),
            held_out=len(held_out),
            accuracy=accuracy,
            macro_f1=macro_f1,
            rules_accuracy=rules_accuracy,
            rules_macro_f1=rules_macro_f1,
            kind_counts=counts,
        )
        if macro_f1 >= rules_macro_f1:
            row = _settings_row(lock=True)
            row.model = stored
            row.version = new_version()
            row.save(update_fields=["model", "version"])
        audit.record(
            actor=actor,
            action="triage.model_trained",
            target=stored,
            accuracy=accuracy,
            rules_accuracy=rules_accuracy,
            in_force=macro_f1 >= rules_macro_f1,
        )
    return stored
