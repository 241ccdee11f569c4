import django.db.models.deletion
from django.db import migrations, models

import attenda.channels.social.models
import attenda.core.clock


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("agents", "0003_accounts_sign_in"),
        ("tickets", "0011_speed_pending_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SocialAccount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        choices=[
                            ("whatsapp", "WhatsApp"),
                            ("telegram", "Telegram"),
                            ("messenger", "Facebook Messenger"),
                            ("x", "X (Twitter)"),
                        ],
                        max_length=10,
                        verbose_name="messaging app",
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name shown to agents")),
                (
                    "external_id",
                    models.CharField(
                        help_text="WhatsApp: the phone number id. Telegram: the bot's user id. Messenger: the page id. X: the account's user id.",
                        max_length=64,
                        verbose_name="account id at the provider",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[
                            ("en", "English"),
                            ("pt", "Portuguese"),
                            ("es", "Spanish"),
                            ("ro", "Romanian"),
                            ("pl", "Polish"),
                        ],
                        default="en",
                        max_length=8,
                        verbose_name="default language",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "webhook_key",
                    models.CharField(
                        default=attenda.channels.social.models.new_webhook_key,
                        max_length=40,
                        unique=True,
                    ),
                ),
                (
                    "access_token",
                    models.CharField(blank=True, max_length=512, verbose_name="access token"),
                ),
                (
                    "app_secret",
                    models.CharField(
                        blank=True,
                        help_text="Meta: the app secret. X: the consumer secret. Telegram: the secret token given to setWebhook.",
                        max_length=255,
                        verbose_name="app secret",
                    ),
                ),
                (
                    "verify_token",
                    models.CharField(
                        blank=True,
                        help_text="WhatsApp and Messenger: the token you typed when subscribing the webhook.",
                        max_length=255,
                        verbose_name="verify token",
                    ),
                ),
                (
                    "template_name",
                    models.CharField(
                        blank=True,
                        help_text="WhatsApp: an approved template with one text parameter, used for replies more than 24 hours after the customer last wrote.",
                        max_length=512,
                        verbose_name="approved template",
                    ),
                ),
                (
                    "template_language",
                    models.CharField(blank=True, max_length=16, verbose_name="template language"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=attenda.core.clock.now, verbose_name="created"),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="agents.team",
                        verbose_name="team",
                    ),
                ),
            ],
            options={
                "verbose_name": "messaging account",
                "verbose_name_plural": "messaging accounts",
                "ordering": ["provider", "name"],
            },
        ),
        migrations.CreateModel(
            name="SocialEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        choices=[
                            ("whatsapp", "WhatsApp"),
                            ("telegram", "Telegram"),
                            ("messenger", "Facebook Messenger"),
                            ("x", "X (Twitter)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("event_id", models.CharField(max_length=255)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("message", "Message"),
                            ("status", "Delivery or read receipt"),
                            ("ignored", "Not needed: our own echo, a typing mark"),
                            ("unsupported", "Not supported"),
                        ],
                        max_length=12,
                    ),
                ),
                ("conversation", models.CharField(blank=True, max_length=64)),
                ("payload", models.JSONField()),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be taken"),
                            ("taken", "Taken"),
                            ("unsupported", "Kept: Attenda does not read this kind"),
                            ("failed", "Kept: Attenda failed on it"),
                        ],
                        max_length=12,
                    ),
                ),
                ("problem", models.TextField(blank=True)),
                ("received_at", models.DateTimeField(default=attenda.core.clock.now)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="social.socialaccount",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.timelineentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "messaging event",
                "verbose_name_plural": "messaging events",
            },
        ),
        migrations.CreateModel(
            name="SocialReply",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recipient", models.CharField(max_length=64)),
                ("template", models.CharField(blank=True, max_length=512)),
                ("tag", models.CharField(blank=True, max_length=40)),
                ("message_id", models.CharField(blank=True, max_length=255)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=attenda.core.clock.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="replies",
                        to="social.socialaccount",
                    ),
                ),
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="social_reply",
                        to="tickets.timelineentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "messaging reply",
                "verbose_name_plural": "messaging replies",
            },
        ),
        migrations.AddConstraint(
            model_name="socialaccount",
            constraint=models.UniqueConstraint(
                fields=("provider", "external_id"), name="social_account_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="socialevent",
            index=models.Index(
                fields=["state", "received_at", "id"], name="social_event_state_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="socialevent",
            index=models.Index(
                fields=["account", "conversation", "received_at"], name="social_event_chat_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="socialevent",
            constraint=models.UniqueConstraint(
                fields=("provider", "event_id"), name="social_event_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="socialreply",
            index=models.Index(fields=["account", "message_id"], name="social_reply_message_idx"),
        ),
        migrations.AddIndex(
            model_name="socialreply",
            index=models.Index(
                fields=["account", "recipient", "sent_at"], name="social_reply_recipient_idx"
            ),
        ),
    ]
