"""What taking each corpus message costs the intake: every message of ../shared/corpus/email through
`take_mail()` on a fresh database, its own thread's CPU (the least of ``--passes`` passes after one
to warm up), what became of it (put on a ticket, kept for the worker...) and what the intake can
tell of it before parsing (size, header block, MIME parts, HTML without a plain text). Fails when
one message costs over 20× the median, the stall rule of `mail_ingest.py --desk` on CPU alone.

    python -m benchmarks.mail_costs
    python -m benchmarks.mail_costs --database-url sqlite:////tmp/costs.db --json costs.json
"""

import argparse
import json
import os
import statistics
import sys
import time

from benchmarks import database
from benchmarks.desk_writes import STALL_FACTOR
from benchmarks.mail_ingest import CORPUS, corpus_files, renamed

SHOWN = 15


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mail_costs", description=__doc__)
    parser.add_argument("--database-url", default=f"sqlite:///{database.RESULTS / 'costs.db'}")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--json", help="each message's figures written to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    database.recreate(args.database_url)
    database.configure(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from attenda.channels.email.inbound import take_mail
    from attenda.channels.email.models import Mailbox
    from attenda.tickets import arrivals

    arrivals.prepare_and_set_aside()
    mailbox, _created = Mailbox.objects.get_or_create(
        address="support@attenda.test", defaults={"name": "Support", "language": "pt"}
    )
    files = corpus_files()
    messages = [path.read_bytes() for path in files]
    run = time.time_ns()
    cpu_ms: list[float] = [float("inf")] * len(messages)
    states: list[str] = [""] * len(messages)
    for number in range(args.passes + 1):
        for index, raw in enumerate(messages):
            renamed_raw = renamed(raw, f"costs-{run}-{number}-{index}@attenda")
            began = time.thread_time()
            taken = take_mail(mailbox, renamed_raw, source="api")
            spent = (time.thread_time() - began) * 1000
            if number:
                cpu_ms[index] = min(cpu_ms[index], spent)
                states[index] = str(taken.mail.state)
    median = statistics.median(cpu_ms)
    rows = [
        {
            "file": str(path.relative_to(CORPUS)),
            "cpu_ms": round(cpu, 2),
            "state": state,
            **features(raw),
        }
        for path, raw, cpu, state in zip(files, messages, cpu_ms, states, strict=True)
    ]
    rows.sort(key=lambda row: -row["cpu_ms"])
    over = [row for row in rows if row["cpu_ms"] > STALL_FACTOR * median]
    ordered = sorted(cpu_ms)
    print(
        json.dumps(
            {
                "messages": len(rows),
                "cpu_p50_ms": round(median, 3),
                "cpu_p95_ms": round(ordered[int(0.95 * len(ordered)) - 1], 2),
                "cpu_max_ms": round(ordered[-1], 2),
                "cpu_mean_ms": round(statistics.mean(cpu_ms), 3),
                "cpu_over_20x_median": len(over),
                "states": {state: states.count(state) for state in sorted(set(states))},
            }
        )
    )
    print(f"\nThe {SHOWN} costliest (CPU ms, state, bytes, header bytes, parts, HTML only):")
    for row in rows[:SHOWN]:
        print(
            f"{row['cpu_ms']:8.2f}  {row['state']:<13} {row['bytes']:>9} {row['header_bytes']:>8}"
            f" {row['parts']:>5} {row['html_only']!s:<5}  {row['file']}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)
    if over:
        sys.exit(
            f"Missed: {len(over)} messages cost over {STALL_FACTOR}× the median CPU "
            f"({median:.2f} ms): " + ", ".join(row["file"] for row in over)
        )


def features(raw: bytes) -> dict:
    """What a glance at the bytes says, as the intake could see it before parsing."""
    blank = raw.find(b"\n\n")
    crlf_blank = raw.find(b"\r\n\r\n")
    ends = [end for end in (blank, crlf_blank) if end >= 0]
    lowered = raw.lower()
    return {
        "bytes": len(raw),
        "header_bytes": min(ends) if ends else len(raw),
        "parts": lowered.count(b"content-type:"),
        "html_only": b"text/html" in lowered and b"text/plain" not in lowered,
    }


if __name__ == "__main__":
    main()
