from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_inbox_status_counts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="timelineentry",
            name="delivery",
            field=models.CharField(
                blank=True,
                choices=[
                    ("queued", "Waiting to be sent"),
                    ("sent", "Sent"),
                    ("failed", "Not sent"),
                    ("bounced", "Bounced"),
                    ("delivered", "Delivered"),
                    ("read", "Read"),
                ],
                max_length=10,
                verbose_name="delivery",
            ),
        ),
    ]
