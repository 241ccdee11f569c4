"""The million-ticket loader writes rows column by column beside the models; a small load into a fresh
database keeps it in step with every migration."""

import subprocess
import sys
from pathlib import Path


def test_the_benchmark_loader_fills_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"

    loaded = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.load", "--database-url", url, "--tickets", "300"),
            *("--report", str(tmp_path / "load.json")),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "loaded 300 tickets and 900 timeline entries" in loaded.stdout
