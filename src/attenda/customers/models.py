"""Customers, the organizations they belong to, and the identities by which channels recognise them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.core import clock


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or organization we serve. A merge keeps the absorbed record, pointing at the survivor,
    so its history stays readable."""

    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("organization"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, such as PT.")
    )
    notes = models.TextField(_("notes"), blank=True)
    # "Your agent": the account owner who gets this customer's new tickets when available.
    standing_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standing_customers",
        verbose_name=_("account owner"),
        help_text=_("The agent who gets this customer's new tickets, when available."),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["name", "id"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.name


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")
    SOCIAL = "social", _("Social handle")
    CHAT = "chat", _("Chat visitor")


class Identity(models.Model):
    """An address by which a channel recognises a customer. Values are stored normalised
    (lower-case email, E.164 phone, ``network:handle``), so one lookup finds the customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=10, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    # Set when mail to this address bounced for good; the ticket page warns before anyone replies.
    undeliverable_since = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    undeliverable_reason = models.CharField(_("why undeliverable"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_value")
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer_idx")]

    def __str__(self) -> str:
        return self.value


class CustomerSearchTerm(models.Model):
    """A normalised word or address of a live customer (customers/search_terms.py), one row each,
    so that finding "silva", "joao" or "506938128" among a million customers is a range read on
    customer_term_idx. Kept up to date by customers/services.py; merged records have none."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="search_terms", db_index=False
    )
    # Compared byte by byte ("C" collation on PostgreSQL, set by migration 0004), so that every
    # term starting with "sil" lies between "sil" and "sim" in the index.
    term = models.CharField(max_length=100)
    kind = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "customers_search_term"
        indexes = [
            # Exact terms best kind first; prefixes as a range on term.
            models.Index(fields=["term", "kind", "customer"], name="customer_term_idx"),
            # A customer's own terms: replacing them, and checking a search's other words.
            models.Index(fields=["customer", "term"], name="customer_term_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.term
