"""Tickets, their append-only timelines, attachments and tags.

A ticket is one matter of one customer. Its row carries what the inbox lists need (customer name,
last activity, owner, waiting since), kept current by the services, so no list joins the timeline.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.core import clock
from attenda.customers.models import Customer


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    CONCERN = "concern", _("Concern")
    QUESTION = "question", _("Question")
    TECHNICAL_SERVICE = "technical_service", _("Technical service")
    ORDER = "order", _("Order")
    WARRANTY_CLAIM = "warranty_claim", _("Warranty claim")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", _("Waiting on third party")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY]
WAITING_STATUSES = [Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY]


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    COUNTER = "counter", _("Office counter")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social network")
    WEB = "web", _("Web form")
    API = "api", _("API")


# A ticket that passed through more people than this is shown to the supervisors of its team.
MANY_HANDS = 2


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One matter of one customer. The number is what customers quote; a phone agent can open a bare
    ticket just to give the caller that number."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    customer_name = models.CharField(_("customer name"), max_length=200)
    subject = models.TextField(_("subject"))
    # The start of the customer's latest message, so the inbox shows it without joining the timeline.
    preview = models.CharField(_("preview"), max_length=160, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NEW
    )
    is_open = models.GeneratedField(
        expression=Case(When(status__in=OPEN_STATUSES, then=Value(True)), default=Value(False)),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("team"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_tickets",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("last activity"), default=clock.now)
    waiting_since = models.DateTimeField(_("waiting since"), default=clock.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    handoff_count = models.PositiveIntegerField(_("hand-offs"), default=0)
    # The statutory answer deadline of a complaint or warranty claim in the customer's country, and
    # what the law says follows when it passes (routing.deadlines). It never pauses.
    legal_deadline = models.DateTimeField(_("legal deadline"), null=True, blank=True)
    legal_consequence = models.CharField(_("legal consequence"), max_length=40, blank=True)
    # Set by the escalation sweep when the legal deadline passed with no answer on a durable medium.
    legal_missed_at = models.DateTimeField(_("legal deadline missed"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("deemed accepted"), default=False)
    # Service levels (routing.clocks): the policy chosen for the ticket and its clocks' state; the
    # columns below copy the moments that lists sort by and the escalation sweep looks for.
    service_level = models.ForeignKey(
        "routing.ServiceLevelPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service level"),
    )
    service_clock = models.JSONField(default=dict, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The nearest deadline, service level or legal, met or not yet: what "time left" shows.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # The next warning and the next breach still to act on.
    warn_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    pinned_handoff = models.ForeignKey(
        "TimelineEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest transfer, whose note the receiver sees first.",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Each inbox list is one range of one of these: leading columns = the list's filters,
        # trailing columns = its sort (see tickets/queries.py).
        indexes = [
            # Tickets that changed hands more than twice, for their supervisors: the most first.
            models.Index(
                fields=["team", "-handoff_count", "id"],
                name="ticket_many_hands_idx",
                condition=Q(handoff_count__gt=MANY_HANDS),
            ),
            # Tickets by legal deadline, the soonest first, for escalation before it.
            models.Index(
                fields=["legal_deadline"],
                name="ticket_legal_due_idx",
                condition=Q(legal_deadline__isnull=False),
            ),
            # The escalation sweep's two ranges: warnings and breaches whose moment has come.
            models.Index(
                fields=["warn_at"], name="ticket_warn_idx", condition=Q(warn_at__isnull=False)
            ),
            models.Index(
                fields=["escalate_at"],
                name="ticket_escalate_idx",
                condition=Q(escalate_at__isnull=False),
            ),
            # The inbox sorted by deadline, the soonest first; tickets without one are not listed.
            models.Index(
                fields=["team", "is_open", "due_at", "id"],
                name="ticket_team_due_idx",
                condition=Q(due_at__isnull=False),
            ),
            models.Index(
                fields=["owner", "is_open", "due_at", "id"],
                name="ticket_owner_due_idx",
                condition=Q(due_at__isnull=False),
            ),
            models.Index(
                fields=["is_open", "due_at", "id"],
                name="ticket_open_due_idx",
                condition=Q(due_at__isnull=False),
            ),
            # The wait estimate (routing.waiting): a team's open tickets still without an answer,
            # and the first answers it gave lately.
            models.Index(
                fields=["team", "created_at"],
                name="ticket_unanswered_idx",
                condition=Q(first_response_at__isnull=True, status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["team", "first_response_at"],
                name="ticket_first_response_idx",
                condition=Q(first_response_at__isnull=False),
            ),
            models.Index(
                fields=["team", "is_open", "waiting_since", "id"], name="ticket_team_wait_idx"
            ),
            models.Index(
                fields=["team", "is_open", "-priority", "waiting_since", "id"],
                name="ticket_team_prio_idx",
            ),
            models.Index(
                fields=["team", "is_open", "updated_at", "id"], name="ticket_team_updated_idx"
            ),
            models.Index(
                fields=["team", "is_open", "waiting_since", "id"],
                name="ticket_unassigned_wait_idx",
                condition=Q(owner__isnull=True),
            ),
            models.Index(
                fields=["owner", "is_open", "waiting_since", "id"], name="ticket_owner_wait_idx"
            ),
            models.Index(
                fields=["owner", "is_open", "updated_at", "id"], name="ticket_owner_updated_idx"
            ),
            models.Index(fields=["is_open", "waiting_since", "id"], name="ticket_open_wait_idx"),
            models.Index(
                fields=["is_open", "-priority", "waiting_since", "id"], name="ticket_open_prio_idx"
            ),
            models.Index(fields=["is_open", "updated_at", "id"], name="ticket_open_updated_idx"),
            models.Index(fields=["customer", "updated_at"], name="ticket_customer_idx"),
            # The bounded counts of the views of one status (queries.inbox_counts): a status is a
            # thin slice of the open or closed tickets, which the lists' indexes would read
            # row by row to find.
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
            models.Index(fields=["status"], name="ticket_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def tag_names(self) -> list[str]:
        """From the tags a list loaded with the ticket (``queries.WITH_TAGS``), else one query."""
        tags = getattr(self, "loaded_tags", None)
        return [tag.name for tag in (self.tags.all() if tags is None else tags)]

    @property
    def number(self) -> int:
        return self.pk


class EntryKind(models.TextChoices):
    MESSAGE = "message", _("Message from the customer")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Office visit")
    STATUS_CHANGE = "status_change", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    TRANSFER = "transfer", _("Transfer")
    EVENT = "event", _("System event")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")


class Delivery(models.TextChoices):
    """Where a reply on its way to the customer is; empty for what is not sent anywhere."""

    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not sent")
    BOUNCED = "bounced", _("Bounced")
    # Only where the channel tells (a delivery or read receipt, a chat's seen mark).
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")


class TimelineEntry(models.Model):
    """What happened on a ticket, in order. Never edited in place: a correction is a new entry. The
    customer-facing history and the audit trail both read from here."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    created_at = models.DateTimeField(_("when"), default=clock.now)
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    body = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # What the channel calls this message (an email Message-ID, a call id): threading and idempotency.
    external_id = models.CharField(max_length=998, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    raw = models.ForeignKey(
        "Blob", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The one thing about an entry that changes: how its delivery went, and why it failed.
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, blank=True)
    delivery_note = models.CharField(_("delivery note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="entry_ticket_idx"),
        ]
        constraints = [
            # The same message arriving twice at once still lands once; also serves threading lookups.
            models.UniqueConstraint(
                fields=["external_id", "channel"],
                name="entry_external_unique",
                condition=Q(external_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class Participant(models.Model):
    """Someone besides the customer who takes part in a ticket (copied on an email): their replies
    thread into it, and replies to the customer are copied to them."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    address = models.CharField(_("address"), max_length=320)
    name = models.CharField(_("name"), max_length=200, blank=True)
    added_at = models.DateTimeField(_("added"), default=clock.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "address"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["address"], name="participant_address_idx")]

    def __str__(self) -> str:
        return self.address


class Blob(models.Model):
    """File content stored once per SHA-256, however many messages carry it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content = models.FileField(upload_to="blobs/")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.sha256

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()


class Attachment(models.Model):
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=255)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Activity(models.TextChoices):
    VIEWING = "viewing", _("viewing")
    REPLYING = "replying", _("replying")


class Presence(models.Model):
    """Who has a ticket open right now, refreshed by the page's heartbeat."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(max_length=10, choices=Activity.choices)
    seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "agent"], name="presence_unique")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.activity} #{self.ticket_id}"


class SearchDocument(models.Model):
    """The words of one ticket (its subject and what was written on its timeline) in the database's
    full-text index. tickets/search.py writes the table with SQL, because its shape is the engine's
    own (an FTS5 table on SQLite, a tsvector with a GIN index on PostgreSQL); the model exists so a
    search is one query that joins it to the tickets the agent may see."""

    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = models.TextField()

    class Meta:
        managed = False
        db_table = "tickets_search_document"

    def __str__(self) -> str:
        return f"search document of #{self.ticket_id}"


class PendingIndex(models.Model):
    """Text written but not yet in the search index: a subject (no entry) or a timeline entry. The
    services write it in the transaction that writes the text, so a crash before indexing loses
    nothing; tickets/search.py's indexer adds it to the index in batches soon after the commit, so
    taking a message never waits for the index (whose merges can take seconds on a full desk)."""

    # Read only in id order and never for long (it empties within seconds), so no index but the key.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    entry = models.ForeignKey(
        TimelineEntry, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    def __str__(self) -> str:
        return f"#{self.ticket_id} entry {self.entry_id} waiting for the search index"


class PendingArrival(models.Model):
    """A customer's message received but not yet read by the apps that read messages (triage):
    a line of a chat under way, read on the worker (``Inbound.read_later``). Written in the
    transaction that receives the message, so a crash before the reading loses nothing;
    tickets/arrivals.py reads the waiting messages in batches, a worker's one task for many lines
    instead of one task (three turns at SQLite's write lock) for each."""

    # Read only in id order and never for long (it empties within seconds), so no index but the key.
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    def __str__(self) -> str:
        return f"entry {self.entry_id} waiting to be read"
