"""The one settings module. Everything that differs between machines comes from the environment."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise ImproperlyConfigured(f"{name} must be true/false or 1/0, not {value!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def secret_key_in(data_dir: Path) -> str:
    """Generated once and kept in the data directory, so sessions survive restarts."""
    if key := os.environ.get("ATTENDA_SECRET_KEY"):
        return key
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("ATTENDA_DATA_DIR", Path.cwd() / ".attenda")).resolve()
DEBUG = env_bool("ATTENDA_DEBUG", False)
SECRET_KEY = secret_key_in(DATA_DIR)
ALLOWED_HOSTS = env_list("ATTENDA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ATTENDA_CSRF_TRUSTED_ORIGINS", "")
# Behind a TLS proxy every cookie is Secure and HTTP is redirected; the embedded default is plain HTTP.
HTTPS = env_bool("ATTENDA_HTTPS", False)
# Behind a proxy, the client's address is the last one the proxy added to X-Forwarded-For; without
# one, that header is the client's own word and never read.
BEHIND_PROXY = env_bool("ATTENDA_BEHIND_PROXY", HTTPS)
# Where agents reach Attenda, for links in mail.
BASE_URL = os.environ.get("ATTENDA_BASE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    # Only for the API docs page's templates and static files (Swagger UI), served by Attenda.
    "ninja",
    "attenda.core",
    "attenda.agents",
    "attenda.customers",
    "attenda.routing",
    "attenda.tickets",
    "attenda.channels.email",
    "attenda.channels.web",
    "attenda.portal",
    "attenda.channels.social",
    "attenda.channels.counter",
    "attenda.channels.phone",
    "attenda.channels.chat",
    "attenda.triage",
    "attenda.api",
    "attenda.demo",
]

MIDDLEWARE = [
    "attenda.core.middleware.FreshStackMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "attenda.core.middleware.WebhookMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "attenda.core.middleware.TwoFactorMiddleware",
    "attenda.core.middleware.ApiRateLimitMiddleware",
    "attenda.core.middleware.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "attenda.urls"
ASGI_APPLICATION = "attenda.asgi.application"
AUTH_USER_MODEL = "agents.Agent"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# Inputs and text areas written in Python, every other widget by its template (core/widgets.py).
FORM_RENDERER = "attenda.core.widgets.PlainRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "csp.context_processors.nonce",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'attenda.sqlite3'}"),
        conn_max_age=int(os.environ.get("ATTENDA_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with a process's writers queued for the write lock in order.
    DATABASES["default"]["ENGINE"] = "attenda.core.sqlite3"
    # WAL lets the worker write while pages read; IMMEDIATE avoids lock upgrades failing under load.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            # The worker checkpoints (core.tasks.checkpoint); a write that crossed the default
            # 1,000 pages paid the checkpoint's copy and fsync itself, one message in ten.
            " PRAGMA wal_autocheckpoint=20000;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEBUG else DATABASES["default"]["CONN_MAX_AGE"]
# Under ASGI each request runs in a thread of its own, and each thread would keep a connection of
# its own: PostgreSQL ran out of them under load. A web process instead shares a pool of at most
# DB_POOL_SIZE connections, which a request takes and gives back when it ends (so CONN_MAX_AGE must
# be 0). `attenda worker`, `mail` and `schedule` set it to 0 for themselves: one connection per thread.
DB_POOL_SIZE = int(os.environ.get("ATTENDA_DB_POOL_SIZE", "8"))
# Threads per web process that run requests (asgi.RequestThreads); each keeps its database connection.
WEB_THREADS = int(os.environ.get("ATTENDA_WEB_THREADS", "4"))
if WEB_THREADS < 1:
    raise ImproperlyConfigured("ATTENDA_WEB_THREADS must be 1 or more.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        # A request waits this long for a free connection before it fails.
        "timeout": int(os.environ.get("ATTENDA_DB_POOL_TIMEOUT", "20")),
    }
# PostgreSQL plans each statement anew unless it is prepared; a ticket page's statements cost the
# server 7.7 ms of CPU a page planned each time and 3.3 ms prepared. A connection kept between
# requests (the pool's, a worker's) prepares a statement the sixth time it runs one. Turn it off
# (`ATTENDA_DB_PREPARED_STATEMENTS=0`) behind a pooler that shares a server connection between
# clients per transaction (PgBouncer before 1.21 in transaction mode).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "ATTENDA_DB_PREPARED_STATEMENTS", True
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("ATTENDA_REDIS_URL", "")
# The auth token of the Twilio account whose numbers post to the voice menu (X-Twilio-Signature).
TWILIO_AUTH_TOKEN = os.environ.get("ATTENDA_TWILIO_AUTH_TOKEN", "")
TASK_BACKEND = os.environ.get("ATTENDA_TASK_BACKEND", "database")
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("ATTENDA_TASK_BACKEND=redis needs ATTENDA_REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured("ATTENDA_TASK_BACKEND must be database, redis or immediate.")
# A failing task is tried this many times in all, waiting TASK_RETRY_BASE_SECONDS * 4**n between tries.
TASK_MAX_ATTEMPTS = int(os.environ.get("ATTENDA_TASK_MAX_ATTEMPTS", "5"))
TASK_RETRY_BASE_SECONDS = int(os.environ.get("ATTENDA_TASK_RETRY_BASE_SECONDS", "30"))
# A database-queue worker renews its lease every WORKER_BEAT_SECONDS; the tasks of a worker not heard
# from for WORKER_LEASE_SECONDS are queued again, and a worker that could not renew for
# WORKER_FENCE_SECONDS stops itself first (core/workers.py).
WORKER_LEASE_SECONDS = int(os.environ.get("ATTENDA_WORKER_LEASE_SECONDS", "30"))
WORKER_BEAT_SECONDS = max(1, WORKER_LEASE_SECONDS // 6)
WORKER_FENCE_SECONDS = WORKER_LEASE_SECONDS * 2 // 3
# How often an idle database-queue worker looks for work: a mail kept for the worker, a chat line's
# follow-up or an acknowledgement waits up to this long after its commit (each look is one short
# transaction at the write lock).
WORKER_POLL_SECONDS = 0.2
# On Redis, how often each worker looks after the queue's registries and takes over RQ's scheduler if
# the worker running it died (its lock lasts 61 s after its last beat): see core/workers.py.
RQ_MAINTENANCE_SECONDS = 15

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are counted per account (from any address) and per address (for any account):
# either reaching the limit locks that account or address for the cool-off time.
AXES_FAILURE_LIMIT = int(os.environ.get("ATTENDA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "attenda.core.middleware.client_ip"
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Links mailed to agents to choose a password: a reset works for an hour, an invitation for 3 days.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("ATTENDA_PASSWORD_RESET_MINUTES", "60")) * 60
INVITATION_TIMEOUT = int(os.environ.get("ATTENDA_INVITATION_HOURS", "72")) * 3600
OTP_TOTP_ISSUER = "Attenda"
# The JSON API answers 429 with Retry-After beyond these many requests a minute, per token and per
# address; and beyond API_FAILURE_LIMIT refused tokens from one address in 15 minutes.
API_RATE_PER_TOKEN = int(os.environ.get("ATTENDA_API_RATE_PER_TOKEN", "600"))
API_RATE_PER_ADDRESS = int(os.environ.get("ATTENDA_API_RATE_PER_ADDRESS", "1200"))
API_FAILURE_LIMIT = int(os.environ.get("ATTENDA_API_FAILURE_LIMIT", "20"))
# Requests a chat visitor, and one address, may make to the chat widget's endpoints per minute.
CHAT_RATE_PER_VISITOR = int(os.environ.get("ATTENDA_CHAT_RATE_PER_VISITOR", "60"))
CHAT_RATE_PER_ADDRESS = int(os.environ.get("ATTENDA_CHAT_RATE_PER_ADDRESS", "600"))
# Numbers taken and contacts left at an office's kiosk per minute, per network address and per kiosk.
KIOSK_RATE_PER_ADDRESS = int(os.environ.get("ATTENDA_KIOSK_RATE_PER_ADDRESS", "30"))
KIOSK_RATE_PER_KIOSK = int(os.environ.get("ATTENDA_KIOSK_RATE_PER_KIOSK", "120"))
# Those counters live in Redis when there is one, shared by every process; otherwise each process
# counts alone.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "rates": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rates"}
    ),
}

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pt", _("Portuguese")),
    ("es", _("Spanish")),
    ("ro", _("Romanian")),
    ("pl", _("Polish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
FORMAT_MODULE_PATH = ["attenda.core.formats"]
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTENDA_ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024)))

# The contact form (channels/web): the sites allowed to embed it (origins such as
# https://www.example.com), and its spam checks: a form sent sooner than MIN_SECONDS after it opened,
# older than MAX_AGE, or beyond the hourly counts per network address or email address is held for
# an admin; past the CEILING one address gets "too many requests" and nothing is stored.
WEB_FORM_ORIGINS = env_list("ATTENDA_WEB_FORM_ORIGINS", "")
WEB_FORM_MIN_SECONDS = int(os.environ.get("ATTENDA_WEB_FORM_MIN_SECONDS", "3"))
WEB_FORM_MAX_AGE_SECONDS = int(os.environ.get("ATTENDA_WEB_FORM_MAX_AGE_HOURS", "24")) * 3600
WEB_FORM_RATE_PER_ADDRESS = int(os.environ.get("ATTENDA_WEB_FORM_RATE_PER_ADDRESS", "10"))
WEB_FORM_RATE_PER_EMAIL = int(os.environ.get("ATTENDA_WEB_FORM_RATE_PER_EMAIL", "5"))
WEB_FORM_CEILING = int(os.environ.get("ATTENDA_WEB_FORM_CEILING", "200"))
# The customer portal's sign-in links work once, for at most 15 minutes.
PORTAL_LINK_SECONDS = min(int(os.environ.get("ATTENDA_PORTAL_LINK_MINUTES", "15")), 15) * 60

EMAIL_BACKEND = os.environ.get(
    "ATTENDA_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("ATTENDA_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ATTENDA_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ATTENDA_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ATTENDA_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ATTENDA_SMTP_STARTTLS", False)
EMAIL_TIMEOUT = 20
# The authserv-id your receiving mail server writes in Authentication-Results (RFC 8601). Only its
# verdict is trusted, e.g. before people copied on a reply are added to a ticket; empty trusts none.
MAIL_AUTHSERV_ID = os.environ.get("ATTENDA_MAIL_AUTHSERV_ID", "")
DEFAULT_FROM_EMAIL = os.environ.get("ATTENDA_FROM_EMAIL", "Attenda <attenda@localhost>")
# Text messages to office visitors: "twilio" (or a provider with Twilio's Messages API), or none.
SMS_PROVIDER = os.environ.get("ATTENDA_SMS_PROVIDER", "")
SMS_FROM = os.environ.get("ATTENDA_SMS_FROM", "")
TWILIO_ACCOUNT_SID = os.environ.get("ATTENDA_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("ATTENDA_TWILIO_AUTH_TOKEN", "")
TWILIO_API_BASE = os.environ.get("ATTENDA_TWILIO_API_BASE", "https://api.twilio.com")
# Placetel's Web API, asked for the names of the SIP users behind the desk's phones.
PLACETEL_API_BASE = os.environ.get("ATTENDA_PLACETEL_API_BASE", "https://api.placetel.de")

# Django's database sessions, read by a written-out statement (core/sessions.py).
SESSION_ENGINE = "attenda.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Host-attenda-session" if HTTPS else "attenda-session"
CSRF_COOKIE_NAME = "__Host-attenda-csrf" if HTTPS else "attenda-csrf"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {"()": "attenda.core.log_filters.WithoutClientErrorTraceback"},
        "task_progress": {"()": "attenda.core.log_filters.WithoutTaskProgress"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors", "task_progress"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ATTENDA_LOG_LEVEL", "INFO")},
    # aiosmtpd logs every SMTP command, with the addresses in it, at INFO.
    # httpx logs every request's URL at INFO, and Telegram's URLs carry the bot's token.
    "loggers": {
        "axes": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# Messaging apps' HTTP APIs (channels/social), and the hosts their media may be fetched from.
SOCIAL_API_URLS = {
    "whatsapp": os.environ.get("ATTENDA_WHATSAPP_API_URL", "https://graph.facebook.com/v21.0"),
    "messenger": os.environ.get("ATTENDA_MESSENGER_API_URL", "https://graph.facebook.com/v21.0"),
    "telegram": os.environ.get("ATTENDA_TELEGRAM_API_URL", "https://api.telegram.org"),
    "x": os.environ.get("ATTENDA_X_API_URL", "https://api.x.com/2"),
}
SOCIAL_MEDIA_HOSTS = env_list(
    "ATTENDA_SOCIAL_MEDIA_HOSTS",
    "fbcdn.net,fbsbx.com,facebook.com,whatsapp.net,telegram.org,twimg.com,x.com,twitter.com",
)

# Presence notices ("someone else is on this ticket") count as live for this long after a heartbeat.
PRESENCE_TTL_SECONDS = 30
