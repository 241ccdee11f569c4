"""What Attenda's ASGI entry costs around a page, in CPU per request, without a server or a network:
requests are handed to the ASGI application directly (four at a time, as the web threads take
them), once through Django's own handler and once through Attenda's (`attenda.asgi.OneHopHandler`,
which runs a page's middleware and view in one call on its request thread). Light pages — the
sign-in page and a page not found — so that the crossings between the event loop and the threads
are a visible share of the cost.

    python -m benchmarks.asgi_overhead --database-url postgres://postgres@127.0.0.1:5432/attenda_bench
"""

import argparse
import asyncio
import time

from benchmarks import database

PATHS = ("/login/", "/no-such-page/")


def scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }


async def request(application, path: str) -> int:
    sent: list[dict] = []
    given: list[bool] = []

    async def receive() -> dict:
        if not given:
            given.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays until the answer is sent
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await application(scope(path), receive, send)
    return sent[0]["status"]


async def cpu_per_request(application, path: str, count: int, lanes: int = 4) -> float:
    async def lane() -> None:
        for _number in range(count // lanes):
            await request(application, path)

    await asyncio.gather(*(lane() for _lane in range(lanes)))  # warm up
    best = float("inf")
    for _round in range(3):
        began = time.process_time()
        await asyncio.gather(*(lane() for _lane in range(lanes)))
        best = min(best, (time.process_time() - began) / count * 1000)
    return best


async def compare(count: int) -> None:
    from django.conf import settings
    from django.core.handlers.asgi import ASGIHandler

    from attenda import asgi

    applications = {
        "Django's handler": asgi.RequestThreads(ASGIHandler(), settings.WEB_THREADS),
        "one hop": asgi.application,
    }
    for path in PATHS:
        for _repeat in range(2):
            for name, application in applications.items():
                cost = await cpu_per_request(application, path, count)
                print(f"{path:16} {name:16} {cost:6.3f} ms CPU a request", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.asgi_overhead", description=__doc__)
    parser.add_argument("--database-url", default=database.SQLITE_URL)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args(argv)
    database.configure(args.database_url)
    import logging

    logging.disable(logging.WARNING)
    asyncio.run(compare(args.requests))


if __name__ == "__main__":
    main()
