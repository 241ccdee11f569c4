"""Real-browser tests: Debian's Chromium, driven by Playwright, against the live test server.

No test downloads a browser. Without /usr/bin/chromium these tests are skipped on a developer's
machine and fail in CI (CI=true), where a missing browser means a broken install step.
"""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.agents.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Without these Chromium keeps trying to reach the network, which these machines do not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 10_000
ASSETS = {"stylesheet", "script", "image", "font"}


CALL_FAILED = pytest.StashKey[bool]()

# On SQLite the test database lives in memory and the server's threads share the test's one
# connection, transaction state included. The ticket page polls every few seconds, so a poll could
# land inside another request's transaction: such requests take turns. PostgreSQL gives every
# thread its own connection and keeps serving requests side by side. On both, the test waits for
# the requests still being served (a poll sent as the test ended) before the database is emptied:
# on PostgreSQL emptying it while one of them wrote was a deadlock.
ONE_REQUEST_AT_A_TIME = threading.Lock()


class RequestsInFlight:
    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self.changed:
            self.count += 1
        try:
            yield
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_for_none(self, seconds: float) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=seconds)


IN_FLIGHT = RequestsInFlight()


class TakingTurnsWSGIServer(ThreadedWSGIServer):
    take_turns = True

    def set_app(self, application):
        def served(environ, start_response):
            with IN_FLIGHT.serving():
                if not self.take_turns:
                    return application(environ, start_response)
                with ONE_REQUEST_AT_A_TIME:
                    return application(environ, start_response)

        super().set_app(served)


class SideBySideWSGIServer(TakingTurnsWSGIServer):
    take_turns = False


class TakingTurnsLiveServerThread(LiveServerThread):
    server_class = TakingTurnsWSGIServer


class SideBySideLiveServerThread(LiveServerThread):
    server_class = SideBySideWSGIServer


class TakingTurnsLiveServer(LiveServer):
    def __init__(self, addr: str) -> None:
        super().__init__(addr, start=False)
        plain = self.thread
        thread_class = (
            TakingTurnsLiveServerThread
            if plain.connections_override
            else SideBySideLiveServerThread
        )
        self.thread = thread_class(
            plain.host,
            plain.static_handler,
            connections_override=plain.connections_override,
            port=plain.port,
        )
        self.thread.daemon = True
        self.start()


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, whose requests take turns on an in-memory SQLite database."""
    server = TakingTurnsLiveServer(
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses database
    # calls beside a running loop unless told the calling code is synchronous, which it is here.
    # Scoped to the module so that tests run after these keep Django's guard.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as started:
            yield started


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Playwright gives every launch a new, empty --user-data-dir of its own.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, transactional_db, live_server) -> Iterator[BrowserContext]:
    # transactional_db comes before live_server: the server, made once per session, can share the
    # in-memory SQLite connection only once the test database exists.
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield context
    context.close()
    IN_FLIGHT.wait_for_none(seconds=TIMEOUT_MS / 1000)


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A tab that fails the test on a script error, a console error (such as a script or style the
    Content-Security-Policy refused), a server error or a missing asset; on failure it leaves a
    screenshot and the page's HTML. Chromium also logs every 4xx answer to the console, and a 422
    is how a form says it was filled in wrong, so answers are judged by their status instead."""
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {page.url}: {message.text}")

    def on_response(response: Response) -> None:
        missing_asset = response.status == 404 and response.request.resource_type in ASSETS
        if response.status >= 500 or missing_asset:
            problems.append(f"{response.status} for {response.request.method} {response.url}")

    page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    yield page
    if request.node.stash.get(CALL_FAILED, False):
        page.screenshot(path=tmp_path / "failure.png", full_page=True)
        (tmp_path / "failure.html").write_text(page.content())
        print(f"Screenshot and HTML of the page at failure: {tmp_path}")  # noqa: T201
    page.close()
    assert problems == []


@pytest.fixture
def log_in(page: Page) -> Callable:
    def log_in_as(agent) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(agent.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    return log_in_as


@pytest.fixture
def axe_violations() -> Callable[[Page], list[str]]:
    """The page's WCAG 2.1 A and AA violations found by axe-core, one line each, printed too."""

    def violations_on(page: Page) -> list[str]:
        results = Axe().run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_21_AA},
                "resultTypes": ["violations"],
            },
        )
        found = [
            f"{violation['id']} ({violation['impact']}) on {page.url}: {violation['help']}; "
            f"targets: {[node['target'] for node in violation['nodes']]}; {violation['helpUrl']}"
            for violation in results.response["violations"]
        ]
        for line in found:
            print(line)  # noqa: T201
        return found

    return violations_on
