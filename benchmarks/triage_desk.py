"""What triage costs where it runs: inside `receive()`, while a message is taken in. Measures, on a
fresh database of its own, `receive()` of new messages in the five languages (calm, angry,
leaving, abusive; short and long), and the reading alone (the settings row and the engine) on the
same texts, cut at services.TEXT_LIMIT as `receive()` cuts them. For comparison, `receive()` of
the same texts as office visits, which triage does not read (an agent's account of a visit), so
the difference is what reading a message costs the path it runs in.

    python -m benchmarks.triage_desk                       # SQLite, results/triage-desk.db
    python -m benchmarks.triage_desk --database-url postgres://postgres@127.0.0.1:5432/attenda_triage_desk
"""

import argparse
import json
import os
import statistics
import time

from benchmarks import database

TEXTS = [
    "Quero apresentar uma reclamação: cobraram-me duas vezes a fatura de outubro.",
    "Hola, ¿podrían decirme a qué hora abre la tienda de Valencia el sábado?",
    "Bună ziua, aș dori să știu cum pot schimba adresa de facturare. Mulțumesc!",
    "Dzień dobry, chciałbym zapytać, jak mogę zmienić adres do faktury. Dziękuję.",
    "This is unacceptable! I am furious, nobody answers. Fix my internet connection now!",
    "Se não resolverem isto esta semana vou cancelar o contrato e falar com um advogado.",
    "You are useless idiots, all of you. Fix my bill or you will regret it.",
    "Ok",
]
LONG = " ".join(TEXTS[:4]) * 40  # about 12,000 characters


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return round(ordered[max(0, int(share * len(ordered)) - 1)], 2)


def figures(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": percentile(times, 0.95),
        "max_ms": round(max(times), 2),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triage_desk", description=__doc__)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{database.RESULTS / 'triage-desk.db'}"
    )
    parser.add_argument("--messages", type=int, default=800)
    args = parser.parse_args(argv)
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    database.recreate(args.database_url)
    database.configure(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from attenda.customers.services import IdentityClaim
    from attenda.tickets.messages import Inbound
    from attenda.tickets.models import Channel, EntryKind
    from attenda.tickets.services import receive
    from attenda.triage import services

    texts = [*TEXTS, LONG]
    for text in texts:  # load the engine's detectors and lexicons before timing
        services.read_text(text)
    reading, receiving, unread = [], [], []
    for number in range(args.messages):
        text = texts[number % len(texts)]
        began = time.perf_counter()
        services.read_text(text)
        reading.append((time.perf_counter() - began) * 1000)
        for entry_kind, times in ((EntryKind.MESSAGE, receiving), (EntryKind.VISIT, unread)):
            inbound = Inbound(
                channel=Channel.EMAIL,
                claims=[IdentityClaim(kind="email", value=f"{entry_kind}{number}@example.com")],
                sender_name=f"Customer {number}",
                body=text,
                entry_kind=entry_kind,
            )
            began = time.perf_counter()
            receive(inbound)
            times.append((time.perf_counter() - began) * 1000)
    report = {
        "engine": database.engine_name(args.database_url),
        "text_limit": services.TEXT_LIMIT,
        "reading": figures(reading),
        "receive_with_triage": figures(receiving),
        "receive_unread": figures(unread),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(report, indent=2))
    out = database.RESULTS / f"triage-desk-{database.label(args.database_url)}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {out}")


if __name__ == "__main__":
    main()
