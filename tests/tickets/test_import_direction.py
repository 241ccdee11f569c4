"""Triage reads; tickets act. Tickets ask the apps that read their messages through registries
(arrivals, panels, headlines) and import none of them, so no import runs both ways."""

import ast
from pathlib import Path

import attenda.tickets

TICKETS = Path(attenda.tickets.__file__).parent
FORBIDDEN = "attenda.triage"


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_of_tickets_imports_triage():
    offending = {
        str(path.relative_to(TICKETS)): sorted(
            name
            for name in _imported(path)
            if name == FORBIDDEN or name.startswith(f"{FORBIDDEN}.")
        )
        for path in sorted(TICKETS.rglob("*.py"))
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_walk_sees_an_import_of_triage(tmp_path):
    written = tmp_path / "example.py"
    written.write_text("def f():\n    from attenda.triage import queries\n", encoding="utf-8")
    assert "attenda.triage.queries" in _imported(written)
