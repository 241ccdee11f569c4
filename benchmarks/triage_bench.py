"""How long triage takes for one message, and how much memory a worker holds with everything it
needs loaded: Django set up, lingua's five language models, and a triage model learnt from the
labelled messages and restored from bytes as a worker restores it. Runs on one core, one thread.

    python -m benchmarks.triage_bench [--reads 3000] [--warmup 200]

Exits non-zero when p95 is above 2 ms or the memory above 400 MB. The target is judged on the
CPU time the reading thread spends (one core's work); the wall clock is printed beside it, since
on a shared machine it also counts the time other processes held the core.
"""

import os

# Before numpy and scikit-learn are imported: their thread pools size themselves on import.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

MESSAGES = (
    Path(__file__).resolve().parents[1] / "tests" / "triage" / "evaluation" / "messages.jsonl"
)
P95_TARGET_MS = 2.0
MEMORY_TARGET_MB = 400.0


def resident_mb() -> tuple[float, float]:
    """The process's resident memory now and at its highest, from /proc."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (
        f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, "
        f"max {ordered[-1]:.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    arguments = parser.parse_args()

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    load_before = os.getloadavg()
    started = time.perf_counter()

    import django

    stages = {"Python": resident_mb()[0]}
    django.setup()
    from attenda.triage.language import detector
    from attenda.triage.reading import TriageModel, read

    stages["Django and scikit-learn imported"] = resident_mb()[0]
    detector()
    stages["lingua's five models"] = resident_mb()[0]
    messages = [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()]
    texts = [message["text"] for message in messages]
    learnt = TriageModel.train(
        texts,
        [message["kind"] for message in messages],
        [index % 4 + 1 for index in range(len(messages))],
    )
    stored = learnt.to_bytes()
    model = TriageModel.from_bytes(stored)
    del learnt
    gc.collect()
    stages["a model learnt and restored"] = resident_mb()[0]
    loaded_in = time.perf_counter() - started

    for index in range(arguments.warmup):
        read(texts[index % len(texts)], model=model)
    wall, cpu = [], []
    for index in range(arguments.reads):
        text = texts[index % len(texts)]
        began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
        read(text, model=model)
        cpu.append((time.thread_time_ns() - began_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - began) / 1e6)
    rss, peak = resident_mb()
    load_after = os.getloadavg()
    print(f"python {sys.version.split()[0]}, one core ({os.sched_getaffinity(0)}), one thread")
    print(f"loaded Django, lingua and a model of {len(stored) / 1024:.0f} KB in {loaded_in:.1f} s")
    for name, timings in (("CPU time", cpu), ("wall clock", wall)):
        print(f"read() over {arguments.reads} messages, {name}: {percentiles(timings)}")
    cpu_p95 = sorted(cpu)[int(len(cpu) * 0.95) - 1]
    print(f"p95 on the core {cpu_p95:.2f} ms (target <= {P95_TARGET_MS:.1f} ms)")
    print("resident after " + ", ".join(f"{stage}: {mb:.0f} MB" for stage, mb in stages.items()))
    print(
        f"memory: {rss:.0f} MB resident, {peak:.0f} MB at peak (target <= {MEMORY_TARGET_MB:.0f} MB)"
    )
    print(
        "load average before "
        + " ".join(f"{value:.2f}" for value in load_before)
        + ", after "
        + " ".join(f"{value:.2f}" for value in load_after)
    )
    return 0 if cpu_p95 <= P95_TARGET_MS and peak <= MEMORY_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
