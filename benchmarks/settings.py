"""Attenda's own settings, with only what a benchmark run needs changed: the test client's host, no
collected static manifest, and quiet logs. Everything that shapes the measured work stays as shipped."""

from attenda.settings import *  # noqa: F403
from attenda.settings import ALLOWED_HOSTS, LOGGING, STORAGES

# The test client calls itself "testserver"; setup_test_environment() is not used because it
# instruments template rendering, which would be measured too.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# The shipped manifest storage needs `collectstatic`; its lookup costs the same as this one.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
