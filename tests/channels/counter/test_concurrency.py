"""On a real `attenda serve` (SQLite file or PostgreSQL, as the suite runs): kiosks taking numbers
at the same moment never share one, and two counters pressing "Call next" at the same moment
never call the same visitor."""

import re
import subprocess
import threading

from tests.channels.counter.served import (
    attenda,
    csrf,
    environment_for,
    office_script,
    run_script,
    running_attenda,
    sign_in,
)
from tests.test_cli import free_port, fresh_database_url  # noqa: F401 - a fixture used below.

KIOSKS = 6
NUMBERS_EACH = 5


def test_kiosks_and_counters_at_the_same_moment_never_share_a_number_or_a_visitor(
    tmp_path,
    fresh_database_url,  # noqa: F811 - the fixture imported above.
):
    environment = environment_for(tmp_path, fresh_database_url)
    subprocess.run([attenda(), "manage", "migrate", "-v", "0"], env=environment, check=True)
    office = run_script(environment, office_script(["ana", "bruno"]))
    with running_attenda(tmp_path, fresh_database_url, port=free_port()) as base:
        # given six kiosks pressing Billing together, five times each
        kiosks = [sign_in(base, "ana") for _ in range(KIOSKS)]
        kiosk_path = f"/kiosk/{office['kiosk']}/"
        tokens = [csrf(kiosk, kiosk_path) for kiosk in kiosks]
        start = threading.Barrier(KIOSKS)
        taken: list[str] = []

        def press(kiosk, token):
            start.wait()
            for _ in range(NUMBERS_EACH):
                answer = kiosk.post(
                    kiosk_path,
                    data={
                        "service": office["services"][0],
                        "lang": "en",
                        "csrfmiddlewaretoken": token,
                    },
                )
                assert answer.status_code == 302, answer.text
                page = kiosk.get(answer.headers["location"]).text
                taken.append(re.search(r'id="number">([A-Z]-\d+)</p>', page).group(1))

        _together([(press, kiosk, token) for kiosk, token in zip(kiosks, tokens, strict=True)])

        # then thirty different numbers, B-001 to B-030
        assert sorted(taken) == [f"B-{n:03d}" for n in range(1, KIOSKS * NUMBERS_EACH + 1)]

        # when two counters call next at the same moment until nobody waits
        agents = [sign_in(base, "ana"), sign_in(base, "bruno")]
        called: dict[int, list[int]] = {counter: [] for counter in office["counters"]}
        start = threading.Barrier(2)

        def work(agent, counter):
            page_path = f"/offices/{office['office']}/counters/{counter}/"
            token = csrf(agent, page_path)
            start.wait()
            for _ in range(KIOSKS * NUMBERS_EACH + 1):
                agent.post(page_path + "call-next/", data={"csrfmiddlewaretoken": token})
                page = agent.get(page_path).text
                at_counter = re.search(r"/visits/(\d+)/no-show/", page)
                if at_counter is None:
                    return
                visit = int(at_counter.group(1))
                called[counter].append(visit)
                agent.post(
                    f"{page_path}visits/{visit}/no-show/", data={"csrfmiddlewaretoken": token}
                )

        _together(
            [
                (work, agent, counter)
                for agent, counter in zip(agents, office["counters"], strict=True)
            ]
        )

    # then every visitor was called once, by one counter, and both counters called
    first, second = called.values()
    assert set(first).isdisjoint(second)
    assert len(first) + len(second) == KIOSKS * NUMBERS_EACH
    assert first and second
    visits = run_script(
        environment,
        "import json\nfrom attenda.channels.counter.models import Visit\n"
        "print(json.dumps(list(Visit.objects.values_list('times_called', 'status').distinct())))",
    )
    assert visits == [[1, "no_show"]]


def _together(work: list[tuple]) -> None:
    failures: list[BaseException] = []

    def run(function, *arguments):
        try:
            function(*arguments)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
