"""The voice menu: what a caller hears at each step and where each answer leads. Every step takes
0, or a spoken request for a person, to put the caller through to a person (Ley 10/2025); the
step functions return TwiML and leave every write to services.py."""

import threading
import time
from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from attenda.agents.models import Agent, AgentStatus, Team
from attenda.agents.queries import standing_agent
from attenda.channels.phone import services
from attenda.channels.phone.models import Action, Call, MenuOption, PhoneLine, VoiceMenu
from attenda.channels.phone.twiml import Response
from attenda.core import clock
from attenda.routing.calendars import BusinessCalendar
from attenda.routing.models import TeamCalendar
from attenda.tickets.models import Status, Ticket

PERSON_KEY = "0"
MOST_RUNG = 10
# A line's menus, options and opening hours are read once per web process and kept this long; a
# change saved in this process clears them at once (apps.py), other processes see it within this.
LINE_KEPT_SECONDS = 30.0


@dataclass(frozen=True)
class LineSetup:
    """What answering a call on a line needs besides the caller: the line and its team, its main
    menus by language with their options, and its team's opening hours (None: always open)."""

    line: PhoneLine
    menus: dict[str, VoiceMenu]
    calendar: BusinessCalendar | None

    def menu_for(self, language: str) -> VoiceMenu | None:
        return (
            self.menus.get(language)
            or self.menus.get(self.line.default_language)
            or next(iter(self.menus.values()), None)
        )

    def is_open(self, at=None) -> bool:
        return self.calendar is None or self.calendar.is_open(at or clock.now())


_kept: dict[str, tuple[float, LineSetup | None]] = {}
_kept_lock = threading.Lock()


def forget_lines(**_signal) -> None:
    """Every kept line setup is read again at its next call (a menu, line or calendar changed)."""
    with _kept_lock:
        _kept.clear()


def line_setup(number: str) -> LineSetup | None:
    """The setup of the line customers dial at ``number`` (E.164), or None: three reads the first
    time, none for LINE_KEPT_SECONDS after."""
    now = time.monotonic()
    kept = _kept.get(number)
    if kept is not None and now - kept[0] < LINE_KEPT_SECONDS:
        return kept[1]
    setup = _read_line(number)
    with _kept_lock:
        _kept[number] = (now, setup)
    return setup


def _read_line(number: str) -> LineSetup | None:
    line = PhoneLine.objects.select_related("team").filter(number=number).first()
    if line is None:
        return None
    menus = {}
    for menu in VoiceMenu.objects.filter(line=line, is_main=True).prefetch_related(
        Prefetch("options", queryset=MenuOption.objects.order_by("digit"))
    ):
        menu.line = line
        menus.setdefault(menu.language, menu)
    calendar = TeamCalendar.objects.filter(team_id=line.team_id).first()
    return LineSetup(
        line=line, menus=menus, calendar=calendar.business_calendar() if calendar else None
    )


def asks_for_person(digits: str, speech: str) -> bool:
    if digits == PERSON_KEY:
        return True
    words = [word.strip().lower() for word in _("person, agent, operator, human").split(",")]
    spoken = speech.lower()
    return bool(spoken) and any(word and word in spoken for word in words)


def menu_for(line: PhoneLine, language: str) -> VoiceMenu | None:
    menus = {menu.language: menu for menu in line.menus.filter(is_main=True)}
    return (
        menus.get(language) or menus.get(line.default_language) or next(iter(menus.values()), None)
    )


def _menu_url(menu: VoiceMenu, call: Call) -> str:
    return reverse("twilio_menu", args=[menu.pk, call.pk])


def _prompt(response: Response, menu: VoiceMenu, call: Call) -> Response:
    gather = response.gather(_menu_url(menu, call), hints=_("person, agent, operator, human"))
    for option in menu.options.all():
        response.say(
            _("For %(label)s, press %(key)d.") % {"label": option.label, "key": option.digit},
            gather,
        )
    response.say(_("To talk to a person, press 0 or say “person”."), gather)
    # No answer: the menu again, once more, through the same address.
    return response.redirect(_menu_url(menu, call) + "?again=1")


def _open_ticket_text(call: Call) -> str:
    if call.customer_id is None:
        return ""
    newest = services.newest_open_ticket(call.customer_id)
    if newest is None:
        return ""
    number, status = newest
    return _("Your ticket number %(number)s is %(status)s.") % {
        "number": number,
        "status": Status(status).label,
    }


def welcome(call: Call, menu: VoiceMenu, *, is_open: bool | None = None) -> Response:
    """The first answer to a call: greeting, the caller's open ticket, then the menu, or the
    closed message and what the line offers when closed. ``is_open``: the line's opening hours
    already known (LineSetup), else read."""
    with translation.override(menu.language):
        response = Response(menu.language)
        if menu.greeting_audio:
            response.play(menu.greeting_audio.url)
        else:
            response.say(menu.greeting)
        if call.customer is not None:
            response.say(_("Welcome back, %(name)s.") % {"name": call.customer.name})
            response.say(_open_ticket_text(call))
        if not (services.is_open(menu.line.team) if is_open is None else is_open):
            response.say(menu.closed_message or _("We are closed now."))
            if menu.when_closed == "callback":
                return callback(call, menu.line.team, language=menu.language, response=response)
            return leave_voicemail(call, language=menu.language, response=response)
        return _prompt(response, menu, call)


def choose(call: Call, menu: VoiceMenu, *, digits: str, speech: str) -> Response:
    with translation.override(menu.language):
        if asks_for_person(digits, speech):
            return connect(call, menu.line.team, language=menu.language)
        if not digits and not speech:
            return _prompt(Response(menu.language), menu, call)
        option = (
            MenuOption.objects.filter(menu=menu, digit=int(digits))
            .select_related("team", "submenu")
            .first()
            if digits.isdigit()
            else None
        )
        if option is None:
            response = Response(menu.language).say(_("That is not one of the options."))
            return _prompt(response, menu, call)
        if option.action == Action.SUBMENU and option.submenu is not None:
            response = Response(menu.language).say(option.submenu.greeting)
            return _prompt(response, option.submenu, call)
        if option.action == Action.CALLBACK:
            return callback(call, option.team or menu.line.team, language=menu.language)
        if option.action == Action.VOICEMAIL:
            return leave_voicemail(call, language=menu.language)
        if option.action == Action.KIND and option.kind:
            call.kind = option.kind
            call.save(update_fields=["kind"])
        return connect(call, option.team or menu.line.team, language=menu.language)


def _reachable(call: Call, team: Team, *, everyone: bool) -> list[Agent]:
    """Who rings: the caller's own agent first when available and in the team, else (and when
    they did not answer) the team's available members."""
    now = clock.now()
    members = [
        agent
        for agent in team.agents.filter(is_active=True, status=AgentStatus.AVAILABLE)[:MOST_RUNG]
        if not agent.is_absent(now)
    ]
    if call.customer is not None and not everyone:
        standing = standing_agent(call.customer, excluding_ticket=0)
        for member in members:
            if standing and member.pk == standing[0]:
                return [member]
    return members


def connect(call: Call, team: Team, *, language: str, everyone: bool = False) -> Response:
    """Put through to a person: the wait said, a call-back offered instead of waiting, then the
    reachable agents rung at once."""
    call = services.person_requested(call=call, team=team)
    with translation.override(language):
        response = Response(language)
        response.say(_("Please hold: a person will answer."))
        response.say(services.expected_wait_text(team))
        gather = response.gather(reverse("twilio_waiting", args=[call.pk]), timeout=3)
        response.say(
            _("To be called back instead of waiting, press 1. To leave a voicemail, press 2."),
            gather,
        )
        agents = _reachable(call, team, everyone=everyone)
        services.ring(call=call, agents=agents)
        response.dial(
            reverse("twilio_dialled", args=[call.pk]),
            [
                (agent.username, reverse("twilio_answered", args=[call.pk, agent.pk]))
                for agent in agents
            ],
        )
        return response


def waiting_choice(call: Call, *, digits: str, speech: str, language: str) -> Response:
    with translation.override(language):
        if digits == "1":
            return callback(call, call.team, language=language)
        if digits == "2":
            return leave_voicemail(call, language=language)
        # Asked again after nobody answered: the whole team rings, not only the caller's agent.
        return connect(call, call.team or call.line.team, language=language, everyone=True)


def nobody_answered(call: Call, *, language: str) -> Response:
    """The agents rung did not answer: the caller may keep waiting (0), be called back or leave a
    voicemail; the call never just ends."""
    with translation.override(language):
        response = Response(language)
        response.say(_("Everyone is busy at the moment."))
        gather = response.gather(reverse("twilio_waiting", args=[call.pk]))
        response.say(
            _(
                "To be called back, press 1. To leave a voicemail, press 2. To keep waiting for a person, press 0."
            ),
            gather,
        )
        return response.redirect(reverse("twilio_waiting", args=[call.pk]) + "?again=1")


def callback(
    call: Call, team: Team | None, *, language: str, response: Response | None = None
) -> Response:
    ticket: Ticket = services.request_callback(call=call, team=team)
    promised = (
        ticket.timeline.filter(data__has_key="callback").values_list("data", flat=True).first()
        or {}
    )
    with translation.override(language):
        response = response or Response(language)
        response.say(
            _("We will call you back. Your ticket number is %(number)s.")
            % {"number": ticket.number}
        )
        if promised:
            response.say(services.expected_wait_text(team) or "")
        response.say(_("Goodbye."))
        return response.hangup()


def leave_voicemail(call: Call, *, language: str, response: Response | None = None) -> Response:
    with translation.override(language):
        response = response or Response(language)
        response.say(
            _("Please leave a message after the tone. Press 0 at any time to talk to a person.")
        )
        response.record(
            reverse("twilio_voicemail", args=[call.pk]),
            reverse("twilio_transcription", args=[call.pk]),
        )
        return response.say(_("Goodbye.")).hangup()


def voicemail_left(call: Call, *, language: str) -> Response:
    with translation.override(language):
        ticket = call.ticket
        response = Response(language)
        if ticket is not None:
            response.say(
                _("Thank you. Your ticket number is %(number)s.") % {"number": ticket.number}
            )
        return response.say(_("Goodbye.")).hangup()
