"""The customers' search terms (customers/search_terms.py), compared byte by byte on PostgreSQL,
and written for the customers already there."""

import django.db.models.deletion
from django.db import migrations, models

from attenda.customers.search_terms import customer_terms

BATCH = 2000


def byte_order_on_postgresql(apps, schema_editor):
    # Under a language's collation PostgreSQL orders "sil va" beside "silva", so a range on the
    # index would not be a prefix; the "C" collation compares bytes, as SQLite does.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE customers_search_term ALTER COLUMN term TYPE varchar(100) COLLATE "C"'
        )


def write_terms(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    Identity = apps.get_model("customers", "Identity")
    CustomerSearchTerm = apps.get_model("customers", "CustomerSearchTerm")
    last = 0
    while True:
        customers = list(
            Customer.objects.filter(pk__gt=last, merged_into=None)
            .select_related("organization")
            .order_by("pk")[:BATCH]
        )
        if not customers:
            return
        addresses = {}
        for identity in Identity.objects.filter(customer__in=customers):
            addresses.setdefault(identity.customer_id, []).append((identity.kind, identity.value))
        CustomerSearchTerm.objects.bulk_create(
            CustomerSearchTerm(customer_id=customer.pk, term=term, kind=kind)
            for customer in customers
            for term, kind in customer_terms(
                name=customer.name,
                organization=customer.organization.name if customer.organization else "",
                identities=addresses.get(customer.pk, ()),
            )
        )
        last = customers[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_customer_standing_agent"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSearchTerm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("term", models.CharField(max_length=100)),
                ("kind", models.PositiveSmallIntegerField()),
                (
                    "customer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_terms",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "db_table": "customers_search_term",
                "indexes": [
                    models.Index(fields=["term", "kind", "customer"], name="customer_term_idx"),
                    models.Index(fields=["customer", "term"], name="customer_term_owner_idx"),
                ],
            },
        ),
        migrations.RunPython(byte_order_on_postgresql, migrations.RunPython.noop),
        migrations.RunPython(write_terms, migrations.RunPython.noop),
    ]
