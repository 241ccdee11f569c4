import factory

from attenda.customers.models import Customer, Identity, IdentityKind
from attenda.customers.services import write_search_terms


class CustomerFactory(factory.django.DjangoModelFactory):
    """Written as the services leave a customer: with the search terms the lookup reads."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    language = "pt"
    country = "PT"

    @factory.post_generation
    def search_terms(customer, create, extracted, **kwargs):
        if create:
            write_search_terms(customers=[customer])


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def search_terms(identity, create, extracted, **kwargs):
        if create:
            write_search_terms(customers=[identity.customer])
