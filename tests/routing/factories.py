import factory

from attenda.routing.models import CustomerTier, ServiceLevelPolicy, TeamCalendar

OFFICE_WEEK = [[["09:00", "13:00"], ["14:00", "18:00"]]] * 5 + [[], []]


class TeamCalendarFactory(factory.django.DjangoModelFactory):
    """A Lisbon office open 9-13 and 14-18 on weekdays, closed on Portuguese holidays."""

    class Meta:
        model = TeamCalendar

    time_zone = "Europe/Lisbon"
    week = OFFICE_WEEK
    country = "PT"


class ServiceLevelPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLevelPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    first_response_minutes = 4 * 60
    next_response_minutes = 8 * 60
    resolution_minutes = 5 * 8 * 60
    business_time = True
    warn_percent = 75


class CustomerTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerTier
