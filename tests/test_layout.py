"""The house: pure modules stay pure, each library stays behind its one edge, the core never imports the edges."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from conftest import ROOT

HEAVY = ("sklearn", "httpx", "feedparser", "sqlite3", "sqlite_utils", "telegram", "apscheduler", "numpy")


def loaded_by(module: str) -> set[str]:
    """The top-level packages that importing ``module`` loads, in a fresh interpreter."""
    code = f"import sys, json, {module}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout))


def test_decisions_rendering_and_the_outbox_load_no_io_library():
    pure = ("bot.deliver.decide", "bot.deliver.render", "bot.deliver.render_search", "bot.deliver.outbox")
    for module in (*pure, "bot.types", "bot.errors"):
        heavy = loaded_by(module) & set(HEAVY)
        assert heavy == set(), f"importing {module} loads {sorted(heavy)}"


def imports_of(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_each_library_is_imported_by_its_one_room_only():
    rooms = {"telegram": "bot/app/telegram", "sqlite_utils": "bot/store", "sklearn": "classifier"}
    for library, room in rooms.items():
        outside = [
            str(p.relative_to(ROOT))
            for p in modules("bot") + modules("classifier")
            if any(m == library or m.startswith(library + ".") for m in imports_of(p))
            and not str(p.relative_to(ROOT)).startswith(room)
        ]
        assert outside == [], f"{library} is imported outside {room}: {outside}"


def test_the_core_never_imports_the_edges():
    core = [p for p in modules("bot") if "bot/app" not in str(p) and p.name != "__main__.py"]
    offenders = [str(p.relative_to(ROOT)) for p in core if any(m.startswith("bot.app") for m in imports_of(p))]
    assert offenders == []
    classifier = [
        str(p.relative_to(ROOT))
        for p in modules("classifier")
        if any(m.startswith("bot") and m != "bot.errors" for m in imports_of(p))
    ]
    assert classifier == []  # the classifier knows nothing of the bot but the shared error tree


PURE_DATA = {"bot/types.py"}  # records and their field docs: long, but nothing to untangle


def test_no_module_is_a_monolith():
    big = {
        name: n
        for p in modules("bot") + modules("classifier")
        if (name := str(p.relative_to(ROOT))) not in PURE_DATA
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > 300
    }
    assert big == {}
