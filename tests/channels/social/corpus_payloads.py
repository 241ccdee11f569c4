"""The shared corpus's messaging-app payloads as webhook bodies. pywa keeps several full WhatsApp
bodies per file (``{"case": body}``); Telegram's are whole updates; the Messenger files are single
``messaging`` items (wrapped here in the page body Meta sends), with a ``#`` comment line first;
X's are Zammad's Ruby-tagged YAML of the Account Activity body, plus Rails' routing keys."""

import json
from pathlib import Path

import yaml

from tests.channels.social.payloads import messenger_body
from tests.corpus import CORPUS

WEBHOOKS = CORPUS / "webhooks"
FOLDERS = {
    "whatsapp": WEBHOOKS / "whatsapp" / "pywa" / "tests" / "data" / "updates",
    "telegram": WEBHOOKS / "telegram" / "zammad",
    "messenger": WEBHOOKS / "facebook-messenger" / "Vlix-facebookmessenger" / "test" / "json",
    "x": WEBHOOKS / "twitter" / "zammad-webhook_events",
}


class _RubyLoader(yaml.SafeLoader):
    pass


_RubyLoader.add_constructor(
    "!ruby/hash:ActiveSupport::HashWithIndifferentAccess",
    lambda loader, node: loader.construct_mapping(node, deep=True),
)


def _files(provider: str, pattern: str) -> list[Path]:
    return sorted(FOLDERS[provider].rglob(pattern)) if FOLDERS[provider].exists() else []


def cases() -> list[tuple[str, str]]:
    """(provider, case name) of every payload; listed without reading the corpus, so a machine
    without it collects the same tests and each one skips (fails on CI)."""
    found = []
    for path in _files("whatsapp", "*.json"):
        found += [("whatsapp", f"{path.name}#{case}") for case in json.loads(path.read_text())]
    found += [
        ("telegram", str(p.relative_to(FOLDERS["telegram"]))) for p in _files("telegram", "*.json")
    ]
    found += [("messenger", p.name) for p in _files("messenger", "*.json")]
    found += [("x", p.name) for p in _files("x", "*.yml")]
    return found or [("corpus", "missing")]


def body(provider: str, case: str) -> bytes:
    """The webhook body of one case, as the provider would send it."""
    if provider == "whatsapp":
        name, _, key = case.partition("#")
        return json.dumps(json.loads((FOLDERS["whatsapp"] / name).read_text())[key]).encode()
    if provider == "telegram":
        return (FOLDERS["telegram"] / case).read_bytes()
    if provider == "messenger":
        path = next(FOLDERS["messenger"].rglob(case))
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        try:
            item = json.loads(text)
        except ValueError:
            return text.encode()  # referrals.json has trailing commas: kept raw as it is
        if isinstance(item, dict) and "object" not in item and "timestamp" in item:
            item = messenger_body(item)
        return json.dumps(item).encode()
    with (FOLDERS["x"] / case).open() as stream:
        event = yaml.load(stream, Loader=_RubyLoader)  # noqa: S506 (a SafeLoader subclass)
    for rails_key in ("controller", "action"):
        event.pop(rails_key, None)
    return json.dumps(event, default=str).encode()
