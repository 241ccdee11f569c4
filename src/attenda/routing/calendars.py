"""Business calendars: a team's opening hours in its own time zone, minus public and closed days.

Everything is computed on aware datetimes. Each local day's shifts are turned into UTC intervals,
so a shift that spans a DST change lasts the real time it lasts (an 00:00-06:00 shift is five
hours on the spring-forward Sunday and seven on the fall-back one).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# A calendar closed for this long in a row cannot meet any service level; fail loudly instead
# of walking the calendar for ever.
LONGEST_CLOSED_STRETCH = timedelta(days=366 * 2)


@lru_cache(maxsize=512)
def public_holidays(country: str, year: int, subdivision: str = "") -> frozenset[date]:
    """The public holidays of a country (and optionally one of its subdivisions) in one year."""
    table = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(table)


def is_public_holiday(day: date, country: str, subdivision: str = "") -> bool:
    return bool(country) and day in public_holidays(country, day.year, subdivision)


@dataclass(frozen=True)
class Shift:
    """Opening hours within one day, in local wall-clock time.

    `end == time(0)` means midnight at the end of the day, so a 24-hour team writes
    `Shift(time(0), time(0))`. A night shift that crosses midnight is two shifts on two days.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end != time(0) and self.end <= self.start:
            raise ValueError(f"a shift must end after it starts: {self.start}-{self.end}")

    def interval_on(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, tzinfo=zone)
        if self.end == time(0):
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            end = datetime.combine(day, self.end, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """A team's business hours: weekly shifts in a time zone, closed on public and extra days."""

    time_zone: str
    week: dict[int, tuple[Shift, ...]]
    country: str = ""
    subdivision: str = ""
    closed_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not at the first lookup
        if not set(self.week) <= set(range(7)):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday): {sorted(self.week)}")
        if self.country:
            # An unsupported country or subdivision fails here, not at the first lookup.
            holidays.country_holidays(self.country, subdiv=self.subdivision or None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return (
            bool(self.week.get(day.weekday()))
            and day not in self.closed_days
            and not is_public_holiday(day, self.country, self.subdivision)
        )

    def is_open(self, moment: datetime) -> bool:
        moment = _utc(moment)
        day = moment.astimezone(self.zone).date()
        return any(start <= moment < end for start, end in self._open_intervals(day))

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment (UTC) when `duration` of open time has passed since `start`."""
        if duration < timedelta(0):
            raise ValueError("business time cannot be negative")
        cursor = _utc(start)
        if not duration:
            return cursor
        remaining = duration
        for start_of_open, end_of_open in self._intervals_from(cursor):
            if end_of_open <= cursor:
                continue
            begin = max(start_of_open, cursor)
            available = end_of_open - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError(f"the calendar has no open hours after {cursor.isoformat()}")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two moments; zero when `end` is not after `start`."""
        start, end = _utc(start), _utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        day = start.astimezone(self.zone).date()
        last_day = end.astimezone(self.zone).date()
        while day <= last_day:
            for start_of_open, end_of_open in self._open_intervals(day):
                overlap = min(end, end_of_open) - max(start, start_of_open)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def _open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        intervals = (shift.interval_on(day, self.zone) for shift in self.week[day.weekday()])
        # A shift that starts inside a spring-forward gap can come out empty; it is no time.
        return sorted((start, end) for start, end in intervals if end > start)

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = moment.astimezone(self.zone).date()
        last_open_day = day
        while day - last_open_day <= LONGEST_CLOSED_STRETCH:
            intervals = self._open_intervals(day)
            if intervals:
                last_open_day = day
            yield from intervals
            day += timedelta(days=1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, got {moment.isoformat()}")
    return moment.astimezone(UTC)
