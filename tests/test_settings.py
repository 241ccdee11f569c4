"""Settings come from the environment: a production set-up passes Django's deployment checks, the
secret key is made once and kept, and a value that cannot be understood stops Attenda at start."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from attenda.settings import env_bool


def django_in(data_dir, *arguments, **environment) -> subprocess.CompletedProcess:
    """Runs Django with a fresh environment for Attenda: only what the test gives, plus the database."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ATTENDA_") or name == "ATTENDA_TEST_REDIS_URL"
    }
    return subprocess.run(
        [sys.executable, *arguments],
        env={
            **kept,
            "DJANGO_SETTINGS_MODULE": "attenda.settings",
            "ATTENDA_DATA_DIR": str(data_dir),
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    checked = django_in(
        tmp_path,
        "-m",
        "django",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ATTENDA_HTTPS="true",
        ATTENDA_DEBUG="false",
        ATTENDA_SECRET_KEY=secrets.token_urlsafe(64),
        ATTENDA_ALLOWED_HOSTS="support.example.com",
    )

    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout == "System check identified no issues (0 silenced).\n"


def test_the_secret_key_is_made_once_in_the_data_directory_and_kept(tmp_path):
    show_key = [
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
    ]

    first = django_in(tmp_path, *show_key)
    second = django_in(tmp_path, *show_key)

    key_file = tmp_path / "secret_key"
    assert first.stdout == second.stdout == key_file.read_text() + "\n"
    assert len(key_file.read_text()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_secret_key_from_the_environment_wins_and_nothing_is_written(tmp_path):
    shown = django_in(
        tmp_path,
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        ATTENDA_SECRET_KEY="k" * 60,
    )

    assert shown.stdout == "k" * 60 + "\n"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("value", ["yes", "on", "maybe"])
def test_a_switch_set_to_something_other_than_true_or_false_is_refused(monkeypatch, value):
    monkeypatch.setenv("ATTENDA_HTTPS", value)

    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("ATTENDA_HTTPS", False)

    assert str(refused.value) == f"ATTENDA_HTTPS must be true/false or 1/0, not {value!r}."


def test_attenda_does_not_start_with_a_switch_it_cannot_understand(tmp_path):
    started = django_in(tmp_path, "-m", "django", "check", ATTENDA_DEBUG="yes")

    assert started.returncode == 1
    assert "ATTENDA_DEBUG must be true/false or 1/0, not 'yes'." in started.stderr


@pytest.mark.parametrize(
    ("value", "meaning"),
    [("true", True), ("1", True), ("TRUE", True), ("false", False), ("0", False), ("", False)],
)
def test_a_switch_understands_true_false_one_and_zero(monkeypatch, value, meaning):
    monkeypatch.setenv("ATTENDA_HTTPS", value)

    assert env_bool("ATTENDA_HTTPS", False) is meaning
