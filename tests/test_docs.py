"""Every setting Attenda reads from the environment is documented in README.md."""

import re
from pathlib import Path

import attenda.settings

README = Path(__file__).resolve().parent.parent / "README.md"
# os.environ.get("X", ...), os.environ["X"], os.getenv("X"), env_bool("X", ...), env_list("X", ...)
ENVIRONMENT_READ = re.compile(
    r"""(?:os\.environ\.get\(|os\.environ\[|os\.getenv\(|env_bool\(|env_list\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def settings_read_from_the_environment() -> list[str]:
    source = Path(attenda.settings.__file__).read_text()
    return sorted(set(ENVIRONMENT_READ.findall(source)))


def test_the_settings_module_is_read_for_environment_variables():
    assert {"ATTENDA_DATA_DIR", "DATABASE_URL", "ATTENDA_EMAIL_BACKEND"} <= set(
        settings_read_from_the_environment()
    )


def test_every_environment_variable_of_the_settings_is_documented_in_the_readme():
    readme = README.read_text()

    undocumented = [
        name for name in settings_read_from_the_environment() if f"`{name}`" not in readme
    ]

    assert undocumented == []
