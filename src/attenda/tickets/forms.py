"""Forms of the agent's ticket pages. They parse and label input; the services decide what is allowed,
and their ValidationErrors come back here to be shown next to the fields they concern."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import connection
from django.forms import BoundField
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.template.loader import get_template
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Agent, Team, display_name
from attenda.core.escaping import escape
from attenda.core.widgets import attributes
from attenda.customers.models import Customer
from attenda.tickets.delivery import Route
from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Channel, Kind, Priority, Status, Ticket
from attenda.tickets.queries import INBOX_VIEWS, SORTS, InboxFilters


class Pairs(BaseChoiceIterator):
    """Choices that are already (value, label) pairs, as Django keeps them: given a plain list, a
    field checks and copies every pair, and its widget again, which for the lists of every agent
    cost more than writing them out."""

    # The options written for this many selections at most: nearly every page selects none.
    WRITTEN_LIMIT = 8

    def __init__(self, pairs: list[tuple]) -> None:
        self.pairs = pairs
        # The options PlainSelect wrote of them, by the values selected.
        self.written: dict[tuple, str] = {}

    def __iter__(self):
        return iter(self.pairs)


class PlainSelect(forms.Select):
    """Writes the same HTML as Django's Select, but in Python and without building a dict per
    option: its two templates per option made the transfer form's list of every agent cost several
    milliseconds of each ticket page."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        wanted = set(self.format_value(value))
        # Safe: every name, value and label went through escape, exactly as the template's
        # autoescaping would have; format_html per option was twice as slow.
        select = f'<select name="{escape(name)}"{attributes(attrs)}>'
        if isinstance(self.choices, Pairs) and not self.allow_multiple_selected:
            # Choices kept from page to page (Colleagues.kept_choices) are written once for
            # each value selected.
            key = tuple(wanted)
            written = self.choices.written
            options = written.get(key)
            if options is None:
                if len(written) >= Pairs.WRITTEN_LIMIT:
                    written.clear()
                options = written[key] = self._options(wanted)
            return mark_safe(f"{select}{options}\n</select>")  # noqa: S308
        return mark_safe(f"{select}{self._options(wanted)}\n</select>")  # noqa: S308

    def _options(self, wanted: set[str]) -> str:
        has_selected = False
        parts = []
        for group_value, group_label in self.choices:
            grouped = isinstance(group_label, (list, tuple))
            if grouped:
                parts.append(f'\n  <optgroup label="{escape(group_value)}">')
                options = group_label
            else:
                options = [("" if group_value is None else group_value, group_label)]
            for option_value, option_label in options:
                selected = (not has_selected or self.allow_multiple_selected) and str(
                    option_value
                ) in wanted
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{escape(option_value)}"'
                    f"{' selected' if selected else ''}>{escape(option_label)}"
                    "</option>\n"
                )
            if grouped:
                parts.append("\n  </optgroup>")
        return "".join(parts)


# Field groups of unbound forms written before (AgentPageForm.kept_fields), by all they depend on.
_WRITTEN: dict[tuple, SafeString] = {}
_WRITTEN_LIMIT = 2000


class PlainBoundField(BoundField):
    """Writes a field's label, help text, errors and widget as Django's ``field.html`` does, but in
    Python: that template and the label template it calls were a quarter of the ticket page's time.
    Fields in a fieldset (radio and checkbox groups) and labels with a suffix keep Django's way."""

    def as_field_group(self) -> SafeString:
        if self.form.is_bound or self.name not in self.form.kept_fields:
            return self._field_group()
        key = (
            type(self.form),
            self.form.prefix,
            self.name,
            get_language(),
            str(self.value()),
            str(self.help_text),
            type(self.field.widget),
        )
        written = _WRITTEN.get(key)
        if written is None:
            if len(_WRITTEN) >= _WRITTEN_LIMIT:
                _WRITTEN.clear()
            written = _WRITTEN[key] = self._field_group()
        return written

    def _field_group(self) -> SafeString:
        if self.use_fieldset or self._label_suffix():
            return super().as_field_group()
        parts = []
        if self.label:
            parts.append(self._label())
        if self.help_text:
            helptext_id = f' id="{self.auto_id}_helptext"' if self.auto_id else ""
            # Help text is the form's own, marked safe as Django's template does (|safe).
            parts.append(f'<div class="helptext"{helptext_id}>{self.help_text}</div>')
        if self.errors:
            parts.append(str(self.errors))
        parts.append(str(self))
        # Safe: the label is escaped in _label(), errors and widget render themselves escaped.
        return mark_safe("\n".join(parts))  # noqa: S308

    def _label_suffix(self) -> str:
        suffix = self.field.label_suffix
        return self.form.label_suffix if suffix is None else suffix

    def _label(self) -> str:
        contents = escape(self.label)
        widget_id = self.field.widget.attrs.get("id") or self.auto_id
        if not widget_id:
            return contents
        label_for = self.field.widget.id_for_label(widget_id)
        return f"<label{attributes({'for': label_for} if label_for else {})}>{contents}</label>"


class AgentPageForm(forms.Form):
    """Labels without a trailing colon: the label is the field's accessible name, read aloud and used
    by the browser tests. Rules such as "a hand-off needs a note" belong to the services, so fields
    do not carry the browser's own `required` check, which would hide the service's message."""

    use_required_attribute = False
    bound_field_class = PlainBoundField
    # Fields whose group (label, help text, widget) depends only on the form's class and prefix,
    # the language, the value and the help text, never on choices given per page: an unbound form
    # writes each once per process, as every ticket page writes them alike.
    kept_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: ValidationError, **aliases: str) -> None:
        """Puts a service's errors next to the fields they name; ``aliases`` maps a service's key to
        a field of this form, and anything else is shown above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            field = aliases.get(key, key)
            self.add_error(field if field in self.fields else None, messages)


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


# Tab names are lists of tickets ("Solved" tickets), which some languages say differently from a status.
INBOX_VIEW_LABELS = {
    "mine": pgettext_lazy("inbox tab", "Mine"),
    "unassigned": pgettext_lazy("inbox tab", "Unassigned"),
    "open": pgettext_lazy("inbox tab", "All open"),
    "waiting": pgettext_lazy("inbox tab", "Waiting"),
    "solved": pgettext_lazy("inbox tab", "Solved"),
}
SORT_LABELS = {
    "waiting": _("Oldest waiting"),
    "priority": _("Priority"),
    "updated": _("Last update"),
    "deadline": _("Deadline soonest"),
}


class InboxFilterForm(AgentPageForm):
    view = forms.ChoiceField(
        label=_("List"),
        choices=[(view, INBOX_VIEW_LABELS[view]) for view in INBOX_VIEWS],
        required=False,
        widget=forms.HiddenInput,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=_blank(_("Any status")) + Status.choices,
        required=False,
        widget=PlainSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=_blank(_("Any kind")) + Kind.choices,
        required=False,
        widget=PlainSelect,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=_blank(_("Any channel")) + Channel.choices,
        required=False,
        widget=PlainSelect,
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=_blank(_("Any language")) + list(settings.LANGUAGES),
        required=False,
        widget=PlainSelect,
    )
    team = forms.TypedChoiceField(
        label=_("Team"), coerce=int, required=False, empty_value=None, widget=PlainSelect
    )
    tag = forms.CharField(
        label=_("Tag"), max_length=50, required=False, validators=[validate_unicode_slug]
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[(sort, SORT_LABELS[sort]) for sort in SORTS],
        required=False,
        widget=PlainSelect,
    )

    FILTERS = ("status", "kind", "channel", "language", "team", "tag")

    def __init__(self, *args, teams: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = _blank(_("Any of my teams")) + teams

    def clean_tag(self) -> str:
        return self.cleaned_data["tag"].strip().lower()

    def view_sort_and_filters(self) -> tuple[str, str, InboxFilters]:
        """What to list after ``is_valid()``: a value that did not validate is left out (its error
        is shown beside it) rather than failing the whole page."""
        data = self.cleaned_data
        filters = InboxFilters(
            **{name: data[name] for name in self.FILTERS if data.get(name) not in (None, "")}
        )
        return data.get("view") or "mine", data.get("sort") or "waiting", filters

    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) not in (None, "") for name in self.FILTERS)


def filter_teams(agent: Agent) -> tuple[tuple[int, str], ...]:
    """The teams the inbox's filter offers: the agent's (every team for an admin). One query."""
    return tuple(Team.objects.values_list("id", "name") if agent.is_admin else agent.team_names())


@dataclass(frozen=True)
class InboxListing:
    """What an inbox's address asks to list, and its filter form's fields as the page shows them."""

    view: str
    sort: str
    filters: InboxFilters
    filtered: bool
    understood: bool
    fields: SafeString


def inbox_listing(query: QueryDict, *, teams: tuple[tuple[int, str], ...]) -> InboxListing:
    """``InboxFilterForm`` read from ``query`` and written out, once per process for each language,
    set of teams and values: an agent's inbox is asked for the same few lists again and again, and
    building, checking and writing the form cost more than reading the list's tickets."""
    values = tuple(query.get(name) for name in InboxFilterForm.base_fields)
    return _inbox_listing(translation.get_language(), teams, values)


@lru_cache(maxsize=1000)
def _inbox_listing(
    _language: str, teams: tuple[tuple[int, str], ...], values: tuple[str | None, ...]
) -> InboxListing:
    data = {
        name: value
        for name, value in zip(InboxFilterForm.base_fields, values, strict=True)
        if value is not None
    }
    form = InboxFilterForm(data, teams=list(teams))
    form.is_valid()
    view, sort, filters = form.view_sort_and_filters()
    return InboxListing(
        view=view,
        sort=sort,
        filters=filters,
        filtered=form.is_filtered(),
        understood=not form.errors,
        fields=get_template("tickets/inbox.html#filter_fields").render({"form": form}),
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Any number of files, each under the attachment limit; read into what the services store."""

    widget = MultipleFileInput

    def clean(self, data, initial=None) -> list[InboundFile]:
        uploads = data if isinstance(data, (list, tuple)) else [data] if data else []
        files = []
        for upload in uploads:
            upload = super().clean(upload, initial)
            if upload.size > settings.ATTACHMENT_MAX_BYTES:
                raise ValidationError(
                    _("%(name)s is larger than %(limit)s.")
                    % {"name": upload.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
                )
            files.append(
                InboundFile(
                    filename=upload.name,
                    content_type=upload.content_type or "application/octet-stream",
                    content=upload.read(),
                )
            )
        return files


def route_label(route: Route) -> str:
    """How the composer names a way to the customer: "by email to ana@… from support@…"."""
    if route.address:
        return _("By %(channel)s to %(address)s from %(sender)s") % {
            "channel": route.channel_label,
            "address": route.address,
            "sender": route.sender,
        }
    return _("By %(channel)s") % {"channel": route.channel_label}


def _say_file_limit(form: forms.Form) -> None:
    """The limit in the agent's language and as configured now, not as it was at start-up."""
    form.fields["files"].help_text = _("Up to %(limit)s each.") % {
        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
    }


def once_token() -> str:
    return secrets.token_urlsafe(16)


class WrittenOnce(AgentPageForm):
    """A form that writes an entry carries a token drawn when the page is shown: a browser sends a
    POST again when the connection it was sent on broke before any answer came (the web process
    died), and the service then finds the entry already written with that token instead of
    writing it twice."""

    once = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput, initial=once_token
    )


class ReplyForm(WrittenOnce):
    """The composer's reply. ``routes`` are the ways to the customer (``tickets.delivery.routes``):
    the ticket's own first; when it cannot deliver, the agent picks one of the others that can."""

    body = forms.CharField(
        label=_("Reply to the customer"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    channel = forms.ChoiceField(label=_("Send"), required=False, widget=forms.RadioSelect)
    cc = forms.CharField(
        label=_("Copy to (Cc)"),
        required=False,
        max_length=2000,
        help_text=_("Email addresses, separated by commas."),
    )
    files = FilesField(label=_("Attach files to the reply"), required=False)
    status = forms.ChoiceField(
        label=_("Then set status to"),
        choices=Status.choices,
        initial=Status.WAITING_ON_CUSTOMER,
        widget=PlainSelect,
    )

    kept_fields = ("body", "cc", "files", "status")

    def __init__(self, *args, routes: list[Route] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _say_file_limit(self)
        routes = routes or []
        own = routes[0] if routes else None
        working = [route for route in routes if route.can_deliver]
        offered = [own] if own is not None and own.can_deliver else working or routes[:1]
        self.fields["channel"].choices = [(route.channel, route_label(route)) for route in offered]
        if offered:
            self.fields["channel"].initial = offered[0].channel
        if len(offered) <= 1:
            self.fields["channel"].widget = forms.HiddenInput()
        if not any(route.channel == Channel.EMAIL for route in offered):
            del self.fields["cc"]

    def clean_cc(self) -> list[str]:
        return self.cleaned_data["cc"].replace(";", ",").split(",")


class NoteForm(WrittenOnce):
    body = forms.CharField(
        label=_("Internal note"),
        required=False,
        strip=False,
        help_text=_("Only your colleagues see notes."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = FilesField(label=_("Attach files to the note"), required=False)

    kept_fields = ("body", "files")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _say_file_limit(self)


@dataclass(frozen=True)
class Colleague:
    """What the ticket page shows of an agent: the assign and transfer lists and the timeline's names."""

    pk: int
    display_name: str
    is_active: bool
    in_ticket_team: bool


@dataclass(frozen=True)
class TeamName:
    """What the ticket page shows of a team: the transfer list and the timeline's names."""

    pk: int
    name: str


# What Colleagues.around last read for each ticket team in this process, and what was built of it.
_AROUND: dict[int | None, "Colleagues"] = {}


@dataclass(frozen=True)
class Colleagues:
    """Every agent and team, read once per ticket page: the assign and transfer forms offer them, and
    the timeline names the people and teams its entries mention by id."""

    agents: dict[int, Colleague]
    teams: dict[int, TeamName]
    ticket_team_id: int | None
    # The rows they were built from, and the choices built of them (by form field and language).
    rows: list = field(default_factory=list, repr=False, compare=False)
    choices: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def around(cls, ticket: Ticket) -> "Colleagues":
        """One written-out query for the agents and the teams. When it reads what it read last time
        for a ticket of this team, the colleagues built then are kept, with the choices built of them:
        building them again from hundreds of agents, and writing the transfer form's list of every
        agent, cost more than the rest of the forms together. Nothing is kept that the query did not
        read again, so a renamed agent or a new team shows on the next page."""
        agents = Agent._meta.db_table
        members = Agent.teams.through._meta.db_table
        teams = Team._meta.db_table
        with connection.cursor() as cursor:
            # Safe: table names from the models, the team as a parameter.
            cursor.execute(
                "SELECT 0, agent.id, agent.first_name, agent.last_name, agent.username,"  # noqa: S608
                f" agent.is_active, EXISTS (SELECT 1 FROM {members} member"
                "   WHERE member.agent_id = agent.id AND member.team_id = %s)"
                f" FROM {agents} agent"
                " UNION ALL SELECT 1, team.id, team.name, NULL, NULL, NULL, NULL"
                f" FROM {teams} team ORDER BY 1, 3, 4, 5",
                [ticket.team_id],
            )
            rows = cursor.fetchall()
        kept = _AROUND.get(ticket.team_id)
        if kept is not None and kept.rows == rows:
            return kept
        colleagues = cls(
            agents={
                pk: Colleague(
                    pk=pk,
                    display_name=display_name(first_name, last_name, username),
                    is_active=bool(is_active),
                    in_ticket_team=bool(in_ticket_team),
                )
                for kind, pk, first_name, last_name, username, is_active, in_ticket_team in rows
                if kind == 0
            },
            teams={pk: TeamName(pk, name) for kind, pk, name, *_rest in rows if kind == 1},
            ticket_team_id=ticket.team_id,
            rows=rows,
        )
        _AROUND[ticket.team_id] = colleagues
        return colleagues

    def active_agents(self) -> list[Colleague]:
        return [agent for agent in self.agents.values() if agent.is_active]

    def assignable(self) -> list[Colleague]:
        """Owners must be in the ticket's team; a ticket without a team can go to anyone."""
        if self.ticket_team_id is None:
            return self.active_agents()
        return [agent for agent in self.active_agents() if agent.in_ticket_team]

    def assignable_choices(self) -> Pairs:
        """Nobody, then every agent who may own the ticket: the assign and properties forms'."""
        return self.kept_choices(
            "owner",
            lambda: (
                _blank(_("Nobody"))
                + [(owner.pk, owner.display_name) for owner in self.assignable()]
            ),
        )

    def kept_choices(self, name: str, build: Callable[[], list[tuple]]) -> Pairs:
        """The choices ``build`` gives, built once per language for these colleagues: their labels
        are translated, and the widget keeps what it wrote of them (``PlainSelect``)."""
        key = (name, get_language())
        pairs = self.choices.get(key)
        if pairs is None:
            pairs = self.choices[key] = Pairs(build())
        return pairs


class ChoosesColleagues(AgentPageForm):
    """A form offering agents or teams; the page reads them once, as ``Colleagues``."""

    def __init__(self, *args, colleagues: Colleagues, agent: Agent, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.colleagues = colleagues
        self.agent = agent

    def _agent(self, value: str) -> Agent | None:
        """The agent chosen (the field offered only colleagues), loaded whole for the service."""
        return Agent.objects.get(pk=int(value)) if value else None


class AssignForm(ChoosesColleagues):
    owner = forms.ChoiceField(label=_("Assign to"), required=False, widget=PlainSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owners = self.colleagues.assignable_choices()
        if self.agent.is_active and (self.agent.pk, self.agent.display_name) not in owners.pairs:
            # "Take it" is for anyone here.
            owners = Pairs([*owners.pairs, (self.agent.pk, self.agent.display_name)])
        self.fields["owner"].choices = owners

    def clean_owner(self) -> Agent | None:
        return self._agent(self.cleaned_data["owner"])


class TransferForm(ChoosesColleagues):
    to_agent = forms.ChoiceField(label=_("Transfer to agent"), required=False, widget=PlainSelect)
    to_team = forms.ChoiceField(label=_("Transfer to team"), required=False, widget=PlainSelect)
    note = forms.CharField(
        label=_("Hand-off note"),
        required=False,
        strip=False,
        help_text=_(
            "Required. What the customer needs and what was done, so they need not tell it again."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "aria-required": "true"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_agent"].choices = self.colleagues.kept_choices(
            "to_agent",
            lambda: (
                _blank(_("Nobody in particular"))
                + [(agent.pk, agent.display_name) for agent in self.colleagues.active_agents()]
            ),
        )
        self.fields["to_team"].choices = self.colleagues.kept_choices(
            "to_team",
            lambda: (
                _blank(_("The same team"))
                + [(team.pk, team.name) for team in self.colleagues.teams.values()]
            ),
        )

    kept_fields = ("note",)

    def clean_to_agent(self) -> Agent | None:
        return self._agent(self.cleaned_data["to_agent"])

    def clean_to_team(self) -> Team | None:
        value = self.cleaned_data["to_team"]
        if not value:
            return None
        team = self.colleagues.teams[int(value)]
        return Team(pk=team.pk, name=team.name)


class MergeForm(AgentPageForm):
    into = forms.IntegerField(
        label=_("Merge into ticket number"),
        min_value=1,
        help_text=_(
            "Another ticket of the same customer; this one closes and its timeline joins that one."
        ),
    )

    kept_fields = ("into",)


class ProposedAddresses(forms.MultipleChoiceField):
    """The addresses ticked among a proposal's; the service checks they are the proposal's own."""

    def valid_value(self, value: str) -> bool:
        return True


class CopiesForm(AgentPageForm):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    addresses = ProposedAddresses(required=False)


class ContactForm(AgentPageForm):
    """A phone call or an office visit, on one of the customer's open tickets or a new one."""

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(merged_into=None), widget=forms.HiddenInput
    )
    channel = forms.ChoiceField(
        label=_("Contact"),
        choices=[(Channel.PHONE, _("Phone call")), (Channel.COUNTER, _("Office visit"))],
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )
    ticket = forms.ChoiceField(label=_("Ticket"), required=False, widget=PlainSelect)
    subject = forms.CharField(
        label=_("Subject"),
        required=False,
        max_length=200,
        help_text=_("For a new ticket. Left empty, the first line of what was said is used."),
    )
    body = forms.CharField(
        label=_("What the customer said"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    team = forms.ChoiceField(label=_("Team"), required=False, widget=PlainSelect)
    solved = forms.BooleanField(
        label=_("Solved during this contact"),
        required=False,
        help_text=_("The ticket is marked solved at once; it opens again if the customer writes."),
    )

    def __init__(self, *args, open_tickets: list[Ticket], teams: list[Team], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_tickets = {ticket.pk: ticket for ticket in open_tickets}
        self.teams = {team.pk: team for team in teams}
        self.fields["ticket"].choices = _blank(_("A new ticket")) + [
            (ticket.pk, f"#{ticket.pk} {ticket.subject}") for ticket in open_tickets
        ]
        self.fields["team"].choices = [(team.pk, team.name) for team in teams]
        if not teams:
            self.fields["team"].choices = _blank(_("No team"))

    def clean_ticket(self) -> Ticket | None:
        value = self.cleaned_data["ticket"]
        return self.open_tickets[int(value)] if value else None

    def clean_team(self) -> Team | None:
        value = self.cleaned_data["team"]
        return self.teams[int(value)] if value else None


class PropertiesForm(ChoosesColleagues):
    """The ticket's properties panel, saved at once with one button."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=PlainSelect)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, widget=PlainSelect
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=PlainSelect)
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=PlainSelect)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )

    kept_fields = ("status", "priority", "kind")

    def __init__(self, *args, ticket: Ticket, can_pick_owner: bool, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "kind": ticket.kind,
                "owner": ticket.owner_id or "",
                "tags": ", ".join(ticket.tag_names),
            },
        )
        super().__init__(*args, **kwargs)
        if can_pick_owner:
            owners = self.colleagues.assignable_choices()
        else:
            # Agents take a ticket or let it go; supervisors give it to someone else.
            owners = Pairs(_blank(_("Nobody")) + [(self.agent.pk, self.agent.display_name)])
        offered = {pk for pk, _name in owners.pairs}
        more = []
        if ticket.owner_id and ticket.owner_id not in offered:
            more.append((ticket.owner_id, ticket.owner.display_name))
        if self.agent.is_active and self.agent.pk not in offered:
            more.append((self.agent.pk, self.agent.display_name))
        self.fields["owner"].choices = Pairs([*owners.pairs, *more]) if more else owners

    def clean_owner(self) -> Agent | None:
        return self._agent(self.cleaned_data["owner"])

    def clean_tags(self) -> list[str]:
        return [name for name in self.cleaned_data["tags"].split(",") if name.strip()]


KEEP = _blank(pgettext_lazy("bulk action", "Keep as it is"))


class BulkForm(AgentPageForm):
    """One change to many tickets of the inbox: the tickets ticked, and what to do with them."""

    LIMIT = 100

    tickets = forms.TypedMultipleChoiceField(coerce=int, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=PlainSelect)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=KEEP + Status.choices, widget=PlainSelect
    )
    add_tags = forms.CharField(
        label=_("Add tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )
    merge = forms.BooleanField(
        label=_("Merge them into the oldest"),
        required=False,
        help_text=_("Tickets of one customer only."),
    )

    NOBODY = "nobody"

    def __init__(self, *args, agent: Agent, owners: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.fields["owner"].choices = (
            KEEP + [(self.NOBODY, _("Nobody"))] + [(pk, name) for pk, name in owners]
        )
        if self.is_bound:
            self.fields["tickets"].choices = [
                (value, value) for value in self.data.getlist("tickets")
            ]

    @classmethod
    def fields_shown(cls, *, owners: list[tuple[int, str]]) -> SafeString:
        """The inbox's bulk-action fields, unfilled, written once per process for each language
        and list of owners."""
        return _bulk_fields(translation.get_language(), tuple(owners))

    def clean_tickets(self) -> list[int]:
        numbers = self.cleaned_data["tickets"]
        if not numbers:
            raise ValidationError(_("Select at least one ticket."))
        if len(numbers) > self.LIMIT:
            raise ValidationError(
                _("Select at most %(limit)s tickets at a time.") % {"limit": self.LIMIT}
            )
        return numbers

    def clean_add_tags(self) -> list[str]:
        return [name for name in self.cleaned_data["add_tags"].split(",") if name.strip()]

    def clean(self) -> dict:
        data = super().clean()
        if not (
            data.get("owner") or data.get("status") or data.get("add_tags") or data.get("merge")
        ):
            raise ValidationError(_("Choose what to change."))
        return data

    def owner_change(self) -> tuple[bool, Agent | None]:
        """Whether to change the owner, and to whom."""
        value = self.cleaned_data["owner"]
        if not value:
            return False, None
        if value == self.NOBODY:
            return True, None
        return True, Agent.objects.get(pk=int(value))


@lru_cache(maxsize=200)
def _bulk_fields(_language: str, owners: tuple[tuple[int, str], ...]) -> SafeString:
    # The agent only checks what a filled form asks; these fields are shown empty.
    form = BulkForm(agent=None, owners=list(owners))
    return get_template("tickets/inbox.html#bulk_fields").render({"bulk_form": form})
