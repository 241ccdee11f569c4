import factory

from attenda.channels.counter.models import Counter, Office, Service


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Loja {n}")
    time_zone = "Europe/Lisbon"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    letter = "B"
    priority = 5


class CounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counter

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Counter {n}")
