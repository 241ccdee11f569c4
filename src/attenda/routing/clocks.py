"""The service-level clocks of one ticket, as plain data: when each target started running, how much
of its time is spent, when it is due and when its warning falls, and which warnings and breaches
have already fired. The ticket keeps this state in a JSON column and copies the moments lists and
the escalation sweep need into indexed columns (``ServiceClock.columns``).

Time is counted on a BusinessCalendar, so a pause (the ticket waiting on the customer) keeps the
business time already spent and a resumed clock carries on from there."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from attenda.routing.calendars import BusinessCalendar, Shift

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, LEGAL = (
    "first_response",
    "next_response",
    "resolution",
    "legal",
)
TARGETS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
WARNING, BREACH = "warning", "breach"

# Calendar time: every hour of every day counts.
ALWAYS_OPEN = BusinessCalendar(
    time_zone="UTC", week={day: (Shift(time(0), time(0)),) for day in range(7)}
)


@dataclass(frozen=True)
class Timing:
    """What a policy asks of a ticket, on the calendar it is counted on."""

    durations: dict[str, timedelta | None]
    warn_share: float
    calendar: BusinessCalendar


@dataclass(frozen=True)
class Due:
    """A warning or breach whose moment has come, to act on once."""

    target: str
    event: str
    moment: datetime


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _text(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class ServiceClock:
    """Reads and changes the clock state of one ticket (a dict, stored as it is)."""

    def __init__(self, state: dict | None) -> None:
        self.state = state if state else {}

    def running(self, target: str) -> bool:
        return target in self.state and self.state[target]["since"] is not None

    def has(self, target: str) -> bool:
        return target in self.state

    @property
    def paused(self) -> bool:
        return any(
            target in self.state and self.state[target]["since"] is None for target in TARGETS
        )

    def start(self, target: str, *, now: datetime, timing: Timing) -> None:
        """Starts a target afresh; a policy without that target leaves it unset."""
        self.state.pop(target, None)
        if timing.durations.get(target) is None:
            return
        self.state[target] = {
            "spent": 0.0,
            "since": _text(now),
            "due": None,
            "warn": None,
            "warned": False,
            "breached": False,
        }
        self._time(target, timing)

    def stop(self, target: str) -> None:
        """The target was met (or no longer applies): nothing more fires for it."""
        self.state.pop(target, None)

    def pause(self, *, now: datetime, timing: Timing) -> None:
        for target in TARGETS:
            if self.running(target):
                clock = self.state[target]
                since = _moment(clock["since"])
                spent = timing.calendar.business_time_between(since, now)
                clock.update(
                    spent=clock["spent"] + spent.total_seconds(), since=None, due=None, warn=None
                )

    def resume(self, *, now: datetime, timing: Timing) -> None:
        for target in TARGETS:
            if target in self.state and self.state[target]["since"] is None:
                self.state[target]["since"] = _text(now)
                self._time(target, timing)

    def retime(self, *, now: datetime, timing: Timing) -> None:
        """The policy or the calendar changed: running clocks keep the time already spent (counted
        on the old calendar) and are due by the new one from now on."""
        for target in TARGETS:
            if not self.running(target):
                continue
            if timing.durations.get(target) is None:
                self.stop(target)
                continue
            self._time(target, timing)

    def _time(self, target: str, timing: Timing) -> None:
        clock = self.state[target]
        duration = timing.durations[target]
        since = _moment(clock["since"])
        spent = timedelta(seconds=clock["spent"])
        calendar = timing.calendar
        clock["due"] = _text(calendar.add_business_time(since, max(duration - spent, timedelta(0))))
        warn_after = duration * timing.warn_share - spent
        clock["warn"] = _text(calendar.add_business_time(since, max(warn_after, timedelta(0))))

    def hold_legal(self, *, deadline: datetime, warn: datetime) -> None:
        legal = self.state.setdefault(LEGAL, {"warned": False, "breached": False, "met": False})
        legal.update(due=_text(deadline), warn=_text(warn))

    def legal_met(self) -> None:
        if LEGAL in self.state:
            self.state[LEGAL]["met"] = True

    @property
    def legal_answered(self) -> bool:
        return bool(self.state.get(LEGAL, {}).get("met"))

    def _open_legal(self) -> dict | None:
        legal = self.state.get(LEGAL)
        return legal if legal and not legal["met"] else None

    def fire(self, *, now: datetime) -> list[Due]:
        """Every warning and breach due by ``now`` that has not fired, marked as fired."""
        fired = []
        for target in (*TARGETS, LEGAL):
            clock = self.state.get(target)
            if not clock or (target == LEGAL and clock["met"]):
                continue
            warn, due = _moment(clock.get("warn")), _moment(clock.get("due"))
            if due is not None and due <= now and not clock["breached"]:
                clock["breached"] = clock["warned"] = True
                fired.append(Due(target, BREACH, due))
            elif warn is not None and warn <= now and not clock["warned"]:
                clock["warned"] = True
                fired.append(Due(target, WARNING, warn))
        return fired

    def columns(self) -> dict[str, datetime | None]:
        """The moments the ticket row carries: each target's due, the nearest due of all (``due_at``,
        for lists), and the next warning and breach still to fire (for the sweep)."""
        dues, warnings, breaches = [], [], []
        row: dict[str, datetime | None] = {}
        for target in TARGETS:
            clock = self.state.get(target)
            due = _moment(clock["due"]) if clock else None
            row[f"{target}_due"] = due
            if due is None:
                continue
            dues.append(due)
            if not clock["breached"]:
                breaches.append(due)
            if not clock["warned"]:
                warnings.append(_moment(clock["warn"]))
        legal = self._open_legal()
        if legal:
            dues.append(_moment(legal["due"]))
            if not legal["breached"]:
                breaches.append(_moment(legal["due"]))
            if not legal["warned"]:
                warnings.append(_moment(legal["warn"]))
        row["due_at"] = min(dues, default=None)
        row["warn_at"] = min(warnings, default=None)
        row["escalate_at"] = min(breaches, default=None)
        return row
