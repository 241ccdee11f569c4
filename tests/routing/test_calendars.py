from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from attenda.routing.calendars import BusinessCalendar, Shift

LISBON = ZoneInfo("Europe/Lisbon")
WARSAW = ZoneInfo("Europe/Warsaw")
MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = range(5)
SPLIT_DAY = (Shift(time(9), time(13)), Shift(time(14), time(18)))
OFFICE_DAY = (Shift(time(9), time(17)),)
ALL_DAY = (Shift(time(0), time(0)),)


def lisbon_team(**fields) -> BusinessCalendar:
    week = dict.fromkeys(WEEKDAYS, SPLIT_DAY)
    return BusinessCalendar(time_zone="Europe/Lisbon", week=week, country="PT", **fields)


def warsaw_team() -> BusinessCalendar:
    week = dict.fromkeys(WEEKDAYS, OFFICE_DAY)
    return BusinessCalendar(time_zone="Europe/Warsaw", week=week, country="PL")


def around_the_clock(time_zone: str) -> BusinessCalendar:
    return BusinessCalendar(time_zone=time_zone, week=dict.fromkeys(range(7), ALL_DAY))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def test_a_split_shift_is_closed_over_lunch_and_after_hours():
    team = lisbon_team()

    assert team.is_open(at(LISBON, 2025, 3, 3, 9, 0))
    assert team.is_open(at(LISBON, 2025, 3, 3, 12, 59))
    assert not team.is_open(at(LISBON, 2025, 3, 3, 13, 30))
    assert not team.is_open(at(LISBON, 2025, 3, 3, 18, 0))
    assert not team.is_open(at(LISBON, 2025, 3, 8, 10, 0))


def test_is_open_reads_the_moment_in_the_team_time_zone():
    team = warsaw_team()

    assert team.is_open(datetime(2025, 3, 3, 8, 30, tzinfo=UTC))
    assert not team.is_open(datetime(2025, 3, 3, 16, 30, tzinfo=UTC))


def test_business_time_skips_the_lunch_break():
    due = lisbon_team().add_business_time(at(LISBON, 2025, 3, 3, 12, 30), timedelta(hours=1))

    assert due == at(LISBON, 2025, 3, 3, 14, 30)


def test_business_time_skips_the_weekend():
    due = lisbon_team().add_business_time(at(LISBON, 2025, 3, 7, 17), timedelta(hours=2))

    assert due == at(LISBON, 2025, 3, 10, 10)


def test_business_time_starting_before_opening_counts_from_opening():
    due = lisbon_team().add_business_time(at(LISBON, 2025, 3, 8, 23), timedelta(minutes=30))

    assert due == at(LISBON, 2025, 3, 10, 9, 30)


def test_portugal_freedom_day_is_closed():
    team = lisbon_team()

    due = team.add_business_time(at(LISBON, 2025, 4, 24, 17), timedelta(hours=2))

    assert not team.is_working_day(date(2025, 4, 25))
    assert due == at(LISBON, 2025, 4, 28, 10)


def test_poland_independence_day_is_closed():
    due = warsaw_team().add_business_time(at(WARSAW, 2025, 11, 10, 16), timedelta(hours=2))

    assert due == at(WARSAW, 2025, 11, 12, 10)


def test_poland_christmas_eve_is_a_holiday_from_2025():
    team = warsaw_team()

    assert team.is_working_day(date(2024, 12, 24))
    assert not team.is_working_day(date(2025, 12, 24))


def test_romania_closes_on_orthodox_easter_not_western_easter():
    team = BusinessCalendar(
        time_zone="Europe/Bucharest", week=dict.fromkeys(WEEKDAYS, OFFICE_DAY), country="RO"
    )

    assert team.is_working_day(date(2024, 4, 1))
    assert not team.is_working_day(date(2024, 5, 3))
    assert not team.is_working_day(date(2024, 5, 6))


def test_spain_regional_holidays_count_only_for_the_region():
    week = dict.fromkeys(WEEKDAYS, OFFICE_DAY)
    national = BusinessCalendar(time_zone="Europe/Madrid", week=week, country="ES")
    madrid = BusinessCalendar(time_zone="Europe/Madrid", week=week, country="ES", subdivision="MD")

    assert not national.is_working_day(date(2025, 12, 8))
    assert national.is_working_day(date(2025, 5, 2))
    assert not madrid.is_working_day(date(2025, 5, 2))
    assert not madrid.is_open(at(MADRID, 2025, 5, 2, 10))


def test_extra_closed_days_close_the_team():
    team = lisbon_team(closed_days=frozenset({date(2025, 3, 4)}))

    due = team.add_business_time(at(LISBON, 2025, 3, 3, 17), timedelta(hours=2))

    assert not team.is_open(at(LISBON, 2025, 3, 4, 10))
    assert due == at(LISBON, 2025, 3, 5, 10)


def test_year_end_and_new_year_holiday():
    due = warsaw_team().add_business_time(at(WARSAW, 2025, 12, 31, 16), timedelta(hours=2))

    assert due == at(WARSAW, 2026, 1, 2, 10)


def test_month_end_over_a_weekend():
    due = warsaw_team().add_business_time(at(WARSAW, 2025, 10, 31, 16, 30), timedelta(hours=1))

    assert due == at(WARSAW, 2025, 11, 3, 9, 30)


@pytest.mark.parametrize(
    ("time_zone", "day", "length"),
    [
        ("Europe/Lisbon", date(2025, 3, 30), timedelta(hours=23)),
        ("Europe/Lisbon", date(2025, 10, 26), timedelta(hours=25)),
        ("Europe/Warsaw", date(2025, 3, 30), timedelta(hours=23)),
        ("Europe/Warsaw", date(2025, 10, 26), timedelta(hours=25)),
    ],
)
def test_a_day_open_around_the_clock_lasts_its_real_length_on_dst_changes(time_zone, day, length):
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)

    assert around_the_clock(time_zone).business_time_between(start, end) == length
    assert around_the_clock(time_zone).add_business_time(start, length) == end


def test_office_hours_keep_local_opening_across_spring_forward():
    due = warsaw_team().add_business_time(at(WARSAW, 2025, 3, 28, 16), timedelta(hours=2))

    assert due == datetime(2025, 3, 31, 8, tzinfo=UTC)
    assert due == at(WARSAW, 2025, 3, 31, 10)


def test_office_hours_keep_local_opening_across_fall_back():
    due = warsaw_team().add_business_time(at(WARSAW, 2025, 10, 24, 16), timedelta(hours=2))

    assert due == datetime(2025, 10, 27, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "length"),
    [(date(2025, 3, 30), timedelta(hours=5)), (date(2025, 10, 26), timedelta(hours=7))],
)
def test_a_night_shift_through_the_clock_change_lasts_the_real_time(day, length):
    team = BusinessCalendar(time_zone="Europe/Lisbon", week={6: (Shift(time(0), time(6)),)})
    midnight = datetime.combine(day, time(0), tzinfo=LISBON)

    assert team.business_time_between(midnight, midnight + timedelta(days=1)) == length


def test_adding_time_within_the_spring_forward_night():
    team = BusinessCalendar(time_zone="Europe/Lisbon", week={6: (Shift(time(0), time(6)),)})

    due = team.add_business_time(at(LISBON, 2025, 3, 30, 0), timedelta(hours=3))

    assert due == datetime(2025, 3, 30, 3, tzinfo=UTC)
    assert due.astimezone(LISBON).hour == 4


def test_the_result_is_in_utc():
    due = lisbon_team().add_business_time(at(WARSAW, 2025, 7, 1, 11), timedelta(hours=1))

    assert due.tzinfo is UTC
    assert due == at(LISBON, 2025, 7, 1, 11)


def test_business_time_between_counts_open_time_only():
    team = lisbon_team()

    assert team.business_time_between(
        at(LISBON, 2025, 3, 7, 17), at(LISBON, 2025, 3, 10, 10)
    ) == timedelta(hours=2)
    assert team.business_time_between(
        at(LISBON, 2025, 3, 10, 10), at(LISBON, 2025, 3, 7, 17)
    ) == timedelta(0)


@pytest.mark.parametrize("hours", [0.5, 4, 8, 40, 400, 2000])
def test_business_time_between_undoes_add_business_time(hours):
    team = lisbon_team()
    start = at(LISBON, 2025, 12, 19, 11, 15)

    due = team.add_business_time(start, timedelta(hours=hours))

    assert team.business_time_between(start, due) == timedelta(hours=hours)


def test_zero_business_time_is_the_start():
    start = at(LISBON, 2025, 3, 8, 23)

    assert lisbon_team().add_business_time(start, timedelta(0)) == start


def test_naive_and_negative_inputs_are_refused():
    team = lisbon_team()

    with pytest.raises(ValueError, match="aware"):
        team.add_business_time(datetime.fromisoformat("2025-03-03T10:00"), timedelta(hours=1))
    with pytest.raises(ValueError, match="negative"):
        team.add_business_time(at(LISBON, 2025, 3, 3, 10), timedelta(hours=-1))
    with pytest.raises(ValueError, match="aware"):
        team.is_open(datetime.fromisoformat("2025-03-03T10:00"))


def test_a_calendar_without_open_hours_fails_instead_of_looping():
    closed = BusinessCalendar(time_zone="Europe/Lisbon", week={})

    with pytest.raises(ValueError, match="no open hours"):
        closed.add_business_time(at(LISBON, 2025, 3, 3, 10), timedelta(hours=1))


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="end after"):
        Shift(time(18), time(9))
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar(time_zone="Europe/Lisbon", week={7: OFFICE_DAY})
    with pytest.raises(NotImplementedError):
        BusinessCalendar(time_zone="Europe/Lisbon", week={}, country="XX")
    with pytest.raises(ZoneInfoNotFoundError, match="Atlantis"):
        BusinessCalendar(time_zone="Europe/Atlantis", week={})
