"""A background task that fails on purpose, for the tests of retries. It runs in the test process
(the database queue's worker loop and RQ's SimpleWorker both do), so it can count its attempts."""

from attenda.core.tasks import background

attempts: list[str] = []


@background
def call_partner(name: str, failures: int) -> None:
    """Fails the first ``failures`` times, like a partner's API that is down for a while."""
    attempts.append(name)
    if attempts.count(name) <= failures:
        raise ConnectionError(f"{name} did not answer")
