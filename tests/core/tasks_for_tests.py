"""Background tasks for the tests: one that fails on purpose, for retries, and one that notes the
language it runs in. They run in the test process (the database queue's worker loop and RQ's
SimpleWorker both do), so they can count their attempts."""

from django.utils import translation

from attenda.core.tasks import background

attempts: list[str] = []


@background
def call_partner(name: str, failures: int) -> None:
    """Fails the first ``failures`` times, like a partner's API that is down for a while."""
    attempts.append(name)
    if attempts.count(name) <= failures:
        raise ConnectionError(f"{name} did not answer")


@background
def note_language(leave: str = "") -> None:
    """Notes the language it runs in, then activates ``leave`` (if given) and leaves it active."""
    attempts.append(translation.get_language())
    if leave:
        translation.activate(leave)
