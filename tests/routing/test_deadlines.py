from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from attenda.routing.deadlines import (
    CONSEQUENCE_LABELS,
    SHIPPED_RULES,
    Consequence,
    DayCount,
    StatutoryRule,
    keep_longest,
    rule_for,
    statutory_deadline,
)

WARSAW = ZoneInfo("Europe/Warsaw")
LISBON = ZoneInfo("Europe/Lisbon")
MADRID = ZoneInfo("Europe/Madrid")
BUCHAREST = ZoneInfo("Europe/Bucharest")


def shipped(country: str, kind: str, condition: str = "") -> StatutoryRule:
    rule = rule_for(country, kind, condition=condition, on=date(2026, 6, 1))
    assert rule is not None
    return rule


def due_day(rule: StatutoryRule, received_on: date, **options) -> date:
    zone = ZoneInfo(rule.time_zone)
    received = datetime.combine(received_on, time(10), tzinfo=zone)
    return statutory_deadline(rule, received, **options).astimezone(zone).date()


def test_a_polish_complaint_of_10_december_2025_is_due_29_december():
    rule = shipped("PL", "complaint")

    due = statutory_deadline(rule, datetime(2025, 12, 10, 9, 30, tzinfo=WARSAW))

    assert due == datetime(2025, 12, 29, 23, 59, 59, 999999, tzinfo=WARSAW)
    assert due.tzinfo is UTC
    assert rule.consequence == Consequence.DEEMED_ACCEPTED


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (date(2025, 3, 3), date(2025, 3, 17)),
        (date(2025, 10, 30), date(2025, 11, 13)),
        (date(2025, 3, 8), date(2025, 3, 24)),
        (date(2025, 10, 28), date(2025, 11, 12)),
        (date(2025, 12, 20), date(2026, 1, 5)),
    ],
    ids=[
        "plain-14-days",
        "across-all-saints-and-independence-day",
        "end-on-saturday-moves-past-sunday",
        "end-on-independence-day",
        "year-end-weekend",
    ],
)
def test_polish_complaints_count_14_calendar_days(received_on, due_on):
    assert due_day(shipped("PL", "complaint"), received_on) == due_on


def test_a_polish_warranty_claim_is_a_complaint_with_the_same_deadline():
    assert shipped("PL", "warranty_claim") == shipped("PL", "complaint")


def test_the_day_of_receipt_is_the_local_day():
    received = datetime(2025, 12, 9, 23, 30, tzinfo=UTC)  # already 10 December in Warsaw

    due = statutory_deadline(shipped("PL", "complaint"), received)

    assert due.astimezone(WARSAW).date() == date(2025, 12, 29)


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (date(2025, 3, 3), date(2025, 3, 24)),
        (date(2025, 4, 23), date(2025, 5, 16)),
        (date(2025, 11, 29), date(2025, 12, 23)),
        (date(2025, 6, 2), date(2025, 6, 25)),
    ],
    ids=[
        "carnival-is-not-a-holiday-by-default",
        "across-freedom-day-and-labour-day",
        "received-on-saturday-across-two-december-holidays",
        "across-portugal-day-and-corpus-christi",
    ],
)
def test_portuguese_complaints_count_15_working_days(received_on, due_on):
    assert due_day(shipped("PT", "complaint"), received_on) == due_on


def test_a_portuguese_municipal_holiday_adds_a_day():
    lisbon_saint_anthony = frozenset({date(2025, 6, 13)})

    due_on = due_day(
        shipped("PT", "complaint"), date(2025, 6, 2), local_holidays=lisbon_saint_anthony
    )

    assert due_on == date(2025, 6, 26)


def test_a_portuguese_deadline_across_the_spring_clock_change_ends_at_local_midnight():
    received = datetime(2025, 3, 28, 23, 30, tzinfo=UTC)

    due = statutory_deadline(shipped("PT", "complaint"), received)

    assert due == datetime(2025, 4, 21, 22, 59, 59, 999999, tzinfo=UTC)


def test_a_portuguese_repair_due_on_assumption_day_moves_to_monday():
    rule = shipped("PT", "warranty_claim")

    assert (rule.days, rule.count) == (30, DayCount.CALENDAR)
    assert due_day(rule, date(2025, 7, 16)) == date(2025, 8, 18)


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (date(2026, 1, 2), date(2026, 1, 26)),
        (date(2025, 12, 29), date(2026, 1, 21)),
        (date(2026, 3, 27), date(2026, 4, 20)),
    ],
    ids=["across-epiphany", "across-new-year", "across-good-friday"],
)
def test_spanish_complaints_count_15_business_days_with_national_holidays(received_on, due_on):
    assert due_day(shipped("ES", "complaint"), received_on) == due_on


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [(date(2026, 2, 10), date(2026, 2, 17)), (date(2026, 3, 31), date(2026, 4, 8))],
    ids=["plain", "across-good-friday"],
)
def test_a_spanish_wrong_charge_is_due_in_5_business_days(received_on, due_on):
    rule = shipped("ES", "complaint", condition="wrong_charge")

    assert rule.days == 5
    assert due_day(rule, received_on) == due_on


def test_a_spanish_region_adds_its_own_holidays():
    rule = shipped("ES", "complaint", condition="wrong_charge")

    assert due_day(rule, date(2026, 3, 31), subdivision="MD") == date(2026, 4, 9)


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (date(2025, 3, 3), date(2025, 3, 19)),
        (date(2025, 11, 14), date(2025, 12, 2)),
        (date(2024, 4, 17), date(2024, 5, 7)),
        (date(2025, 12, 21), date(2026, 1, 8)),
    ],
    ids=[
        "first-and-last-day-not-counted",
        "end-on-saint-andrew-then-national-day",
        "end-on-orthodox-good-friday-then-easter",
        "year-end-into-epiphany-and-saint-john",
    ],
)
def test_romanian_repairs_count_15_clear_calendar_days(received_on, due_on):
    assert due_day(shipped("RO", "warranty_claim"), received_on) == due_on


def test_romanian_clear_days_end_one_day_after_plain_calendar_days():
    clear = shipped("RO", "warranty_claim")
    plain = replace(clear, count=DayCount.CALENDAR)

    assert due_day(plain, date(2025, 3, 3)) == date(2025, 3, 18)
    assert due_day(clear, date(2025, 3, 3)) == date(2025, 3, 19)


def test_a_romanian_deadline_ends_at_midnight_bucharest_time():
    due = statutory_deadline(shipped("RO", "warranty_claim"), datetime(2025, 3, 3, tzinfo=UTC))

    assert due == datetime(2025, 3, 19, 21, 59, 59, 999999, tzinfo=UTC)


def test_romania_ships_no_general_complaint_deadline():
    assert rule_for("RO", "complaint", on=date(2026, 1, 1)) is None


def test_rule_for_finds_nothing_before_a_law_is_in_force():
    assert rule_for("ES", "complaint", on=date(2025, 12, 27)) is None
    assert rule_for("ES", "complaint", on=date(2025, 12, 28)) is not None
    assert rule_for("PL", "complaint", on=date(2022, 12, 31)) is None


def test_rule_for_picks_the_rule_in_force_on_the_date():
    fourteen_days = shipped("PL", "complaint")
    thirty_days = replace(fourteen_days, days=30, valid_from=date(2015, 1, 1))
    rules = (fourteen_days, thirty_days)

    assert rule_for("PL", "complaint", on=date(2022, 12, 31), rules=rules) is thirty_days
    assert rule_for("pl", "complaint", on=date(2023, 1, 1), rules=rules) is fourteen_days


def test_a_condition_without_its_own_rule_falls_back_to_the_general_rule():
    assert shipped("PL", "complaint", condition="wrong_charge") == shipped("PL", "complaint")
    assert shipped("ES", "complaint", condition="wrong_charge").days == 5
    assert shipped("ES", "complaint").days == 15


def test_an_admin_rule_from_the_same_day_overrides_the_shipped_one():
    shipped_rule = shipped("PT", "complaint")
    stricter = replace(shipped_rule, days=10, source="company policy")

    assert (
        rule_for("PT", "complaint", on=date(2026, 1, 1), rules=(*SHIPPED_RULES, stricter))
        is stricter
    )


def test_a_shorter_rule_in_force_later_never_shortens_a_running_deadline():
    old = shipped("PT", "complaint")
    shorter = replace(old, days=10, valid_from=date(2026, 5, 4))
    rules = (old, shorter)
    received = datetime(2026, 4, 27, 10, tzinfo=LISBON)
    running = statutory_deadline(
        rule_for("PT", "complaint", on=date(2026, 4, 27), rules=rules), received
    )

    recomputed = statutory_deadline(
        rule_for("PT", "complaint", on=date(2026, 5, 4), rules=rules), received
    )

    assert recomputed < running
    assert keep_longest(running, recomputed) == running


def test_a_longer_rule_extends_a_running_deadline():
    running = datetime(2026, 5, 18, 22, 59, tzinfo=UTC)
    recomputed = datetime(2026, 5, 25, 22, 59, tzinfo=UTC)

    assert keep_longest(running, recomputed) == recomputed


def test_every_shipped_rule_cites_a_source_and_has_a_labelled_consequence():
    for rule in SHIPPED_RULES:
        assert rule.source
        assert rule.consequence in CONSEQUENCE_LABELS
        assert str(CONSEQUENCE_LABELS[rule.consequence])


def test_bad_rules_and_naive_receipts_are_refused():
    rule = shipped("PL", "complaint")

    with pytest.raises(ValueError, match="end_moves_off"):
        replace(rule, end_moves_off=frozenset({"friday"}))
    with pytest.raises(ValueError, match="at least one day"):
        replace(rule, days=0)
    with pytest.raises(ValueError, match="aware"):
        statutory_deadline(rule, datetime.fromisoformat("2025-12-10T10:00"))
