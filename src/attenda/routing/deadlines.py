"""Statutory deadlines for complaints and warranty claims, counted as each country's law counts.

The rules are data (`StatutoryRule`), cited from ../shared/duties.md; an admin can add more. Every
deadline is counted from the moment the case was received, in the country's legal time zone, and
never pauses: nothing the company or the customer does afterwards moves it.

How days are counted (duties.md, "Clock semantics" and "Counting days and holidays"):
- The day of receipt is day 0 and is not counted; the first day counted is the next one.
- The deadline is the end of the last day, local time (23:59:59.999999, shown as 23:59:59).
- An end that falls on a day the rule names in `end_moves_off` moves to the next day that is none
  of them. Sundays count as holidays in Poland (KC art. 115), hence PL names "sunday" too.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from attenda.routing.calendars import is_public_holiday

NON_WORKING_DAYS = frozenset({"saturday", "sunday", "holiday"})
SATURDAY, SUNDAY = 5, 6


class DayCount(StrEnum):
    # Every day counts; the day of receipt is excluded (PL KC art. 111, ES CC art. 5).
    CALENDAR = "calendar"
    # Romania, CC art. 2553: neither the first nor the last day is counted, so a 15-day period
    # from a notice on the 1st ends at 24:00 on the 17th.
    CALENDAR_CLEAR = "calendar_clear"
    # Portuguese "dias úteis", Romanian "zile lucrătoare": Monday to Friday minus the country's
    # public holidays (and a subdivision's or municipality's when the case gives them).
    WORKING = "working"
    # Spanish "días hábiles", Ley 39/2015 art. 30: no Saturdays, Sundays or declared holidays.
    # Only national holidays unless the case names a region (duties.md rule 6: "until a company
    # sets its region rule, count only weekends and national holidays"). The same count as
    # WORKING today; kept apart because the law defining it is a different one.
    BUSINESS = "business"


class Consequence(StrEnum):
    # PL UPK art. 7a: no answer within 14 days means the complaint is accepted.
    DEEMED_ACCEPTED = "deemed_accepted"
    # Goods not repaired or replaced in time: the consumer may ask for a price cut or end the
    # contract (Dir. 2019/771, as transposed in PT and RO).
    PRICE_CUT_OR_TERMINATION = "price_cut_or_termination"
    # A late answer breaks the law and exposes the company to the regulator; duties.md names no
    # effect on the case itself (PT complaints book, ES Ley 10/2025).
    LATE_ANSWER_BREACH = "late_answer_breach"


CONSEQUENCE_LABELS = {
    Consequence.DEEMED_ACCEPTED: _("Deemed accepted: the customer's demand must be met"),
    Consequence.PRICE_CUT_OR_TERMINATION: _(
        "Repair period over: the customer may ask for a price cut or end the contract"
    ),
    Consequence.LATE_ANSWER_BREACH: _("Legal deadline missed: the regulator may fine the company"),
}


@dataclass(frozen=True)
class StatutoryRule:
    """One country's legal deadline for some kinds of case, in force from `valid_from`.

    `condition` narrows a rule to a category of the case ("wrong_charge" for ES); a case without
    a matching conditional rule falls back to the country's general rule.
    """

    country: str
    kinds: frozenset[str]
    days: int
    count: DayCount
    end_moves_off: frozenset[str]
    consequence: str
    source: str
    valid_from: date
    time_zone: str
    condition: str = ""
    # Attenda escalates this many days before the deadline (duties.md rule 3: PL at T-3).
    escalate_days_before: int = 3

    def __post_init__(self) -> None:
        if self.days <= 0:
            raise ValueError("a statutory period has at least one day")
        if not self.end_moves_off <= NON_WORKING_DAYS:
            raise ValueError(f"end_moves_off takes {sorted(NON_WORKING_DAYS)}")
        ZoneInfo(self.time_zone)


SHIPPED_RULES: tuple[StatutoryRule, ...] = (
    StatutoryRule(
        country="PL",
        kinds=frozenset({"complaint", "warranty_claim"}),
        days=14,
        count=DayCount.CALENDAR,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.DEEMED_ACCEPTED,
        source="Ustawa o prawach konsumenta, art. 7a; Kodeks cywilny, art. 115",
        valid_from=date(2023, 1, 1),
        time_zone="Europe/Warsaw",
    ),
    StatutoryRule(
        country="PT",
        kinds=frozenset({"complaint"}),
        days=15,
        count=DayCount.WORKING,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.LATE_ANSWER_BREACH,
        source="Decreto-Lei 156/2005, as amended by Decreto-Lei 74/2017",
        valid_from=date(2017, 7, 1),
        time_zone="Europe/Lisbon",
    ),
    StatutoryRule(
        country="PT",
        kinds=frozenset({"warranty_claim"}),
        days=30,
        count=DayCount.CALENDAR,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.PRICE_CUT_OR_TERMINATION,
        source="Decreto-Lei 84/2021",
        valid_from=date(2022, 1, 1),
        time_zone="Europe/Lisbon",
    ),
    StatutoryRule(
        country="ES",
        kinds=frozenset({"complaint"}),
        days=15,
        count=DayCount.BUSINESS,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.LATE_ANSWER_BREACH,
        source="Ley 10/2025",
        valid_from=date(2025, 12, 28),
        time_zone="Europe/Madrid",
    ),
    StatutoryRule(
        country="ES",
        kinds=frozenset({"complaint"}),
        days=5,
        count=DayCount.BUSINESS,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.LATE_ANSWER_BREACH,
        source="Ley 10/2025",
        valid_from=date(2025, 12, 28),
        time_zone="Europe/Madrid",
        condition="wrong_charge",
    ),
    StatutoryRule(
        country="RO",
        kinds=frozenset({"warranty_claim"}),
        days=15,
        count=DayCount.CALENDAR_CLEAR,
        end_moves_off=NON_WORKING_DAYS,
        consequence=Consequence.PRICE_CUT_OR_TERMINATION,
        source="OUG 140/2021, art. 12(1)(b), as amended by Legea 205/2023; Codul civil, "
        "art. 2553-2554",
        valid_from=date(2022, 1, 28),
        time_zone="Europe/Bucharest",
    ),
)


def statutory_deadline(
    rule: StatutoryRule,
    received: datetime,
    *,
    subdivision: str = "",
    local_holidays: frozenset[date] = frozenset(),
) -> datetime:
    """The end of the last day of the period (UTC), counted from the local day of receipt.

    `subdivision` is the region whose holidays also count (an ES autonomous community, in the
    `holidays` package's codes); `local_holidays` adds the municipal ones (PT, ES).
    """
    if received.tzinfo is None or received.utcoffset() is None:
        raise ValueError("the moment of receipt must be an aware datetime")
    zone = ZoneInfo(rule.time_zone)
    received_on = received.astimezone(zone).date()

    def is_holiday(day: date) -> bool:
        return day in local_holidays or is_public_holiday(day, rule.country, subdivision)

    def is_working_day(day: date) -> bool:
        return day.weekday() < SATURDAY and not is_holiday(day)

    if rule.count is DayCount.CALENDAR:
        last_day = received_on + timedelta(days=rule.days)
    elif rule.count is DayCount.CALENDAR_CLEAR:
        last_day = received_on + timedelta(days=rule.days + 1)
    else:
        last_day, counted = received_on, 0
        while counted < rule.days:
            last_day += timedelta(days=1)
            counted += is_working_day(last_day)

    def end_must_move(day: date) -> bool:
        return (
            ("saturday" in rule.end_moves_off and day.weekday() == SATURDAY)
            or ("sunday" in rule.end_moves_off and day.weekday() == SUNDAY)
            or ("holiday" in rule.end_moves_off and is_holiday(day))
        )

    while end_must_move(last_day):
        last_day += timedelta(days=1)
    return datetime.combine(last_day, time.max, tzinfo=zone).astimezone(UTC)


def rule_for(
    country: str,
    kind: str,
    *,
    condition: str = "",
    on: date,
    rules: Sequence[StatutoryRule] = SHIPPED_RULES,
) -> StatutoryRule | None:
    """The rule in force on `on` for this kind of case; the latest `valid_from` wins, and between
    two rules from the same day the one later in the table (an admin's override)."""
    country = country.upper()

    def in_force(wanted_condition: str) -> StatutoryRule | None:
        matching = [
            (rule.valid_from, position, rule)
            for position, rule in enumerate(rules)
            if rule.country == country
            and kind in rule.kinds
            and rule.condition == wanted_condition
            and rule.valid_from <= on
        ]
        return max(matching, key=lambda entry: entry[:2])[2] if matching else None

    return (in_force(condition) if condition else None) or in_force("")


def keep_longest(running: datetime, recomputed: datetime) -> datetime:
    """A rule changed while a case is open: the customer keeps the later of the two deadlines."""
    return max(running, recomputed)
