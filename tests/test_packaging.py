"""What a fresh machine relies on: the README's two commands, CI calling the same test command, the locks,
and the Docker image, checked as far as possible without a container engine."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

from conftest import ROOT
from ruamel.yaml import YAML

DEV_ONLY = {"pytest", "pytest-asyncio", "pytest-httpserver", "aiohttp", "ruff", "iniconfig", "werkzeug"}


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:15]
    commands = [line.strip().split("#")[0].strip() for line in head if line.strip().startswith("make ")]
    assert commands[:2] == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_makefile_targets_build_their_own_environment():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert re.search(rf"^{target}: \$\(STAMP\)", makefile, re.M), target
    assert "--require-hashes -r requirements.lock" in makefile


def test_lock_pins_every_dependency_with_hashes():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.M)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in wanted:
        name = re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
        assert name in {p.replace(".", "-") for p in pinned}, f"{name} is not pinned in requirements.lock"
    assert "--hash=sha256:" in lock


def pins(lock: str) -> dict[str, str]:
    """Each pinned package of a lock with its whole block (version and hashes)."""
    return {
        m.group(1).lower().replace("_", "-"): m.group(0)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==[^\n]*\n(?:    --hash[^\n]*\n)*", lock, re.M)
    }


def test_the_runtime_lock_is_the_full_lock_without_the_tools():
    full = pins((ROOT / "requirements.lock").read_text())
    runtime = pins((ROOT / "requirements-runtime.lock").read_text())
    for name, block in runtime.items():
        assert full.get(name) == block, f"{name} differs between requirements.lock and requirements-runtime.lock"
    assert DEV_ONLY & set(runtime) == set()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
        assert name in {n.replace(".", "-") for n in runtime}, (
            f"{name} is a runtime dependency missing from requirements-runtime.lock"
        )


def _pattern(rule: str) -> re.Pattern:
    """A .dockerignore pattern as Docker reads it: * and ? stay within a path part, ** spans parts."""
    out, i = "", 0
    while i < len(rule):
        if rule.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif rule.startswith("**", i):
            out, i = out + ".*", i + 2
        elif rule[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif rule[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(rule[i]), i + 1
    return re.compile(out)


def build_context() -> set[str]:
    """The files `docker build .` sends: every file not excluded by .dockerignore (a rule matches a path
    or any folder above it; the last matching rule wins)."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            rules.append((keep, _pattern(line.lstrip("!").strip("/"))))

    def ignored(rel: str) -> bool:
        parts = rel.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        verdict = False
        for keep, pattern in rules:
            if any(pattern.fullmatch(p) for p in prefixes):
                verdict = not keep
        return verdict

    files = set()
    for folder, dirs, names in os.walk(ROOT):
        rel_folder = Path(folder).relative_to(ROOT).as_posix()
        dirs[:] = [d for d in dirs if d not in (".venv", ".git") or rel_folder != "."]  # too big to walk
        for name in names:
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            if not ignored(rel):
                files.add(rel)
    assert not ignored("bot/pipeline.py") and ignored(".venv/bin/python") and ignored(".git")
    return files


def test_the_build_context_holds_what_the_image_copies_and_nothing_else():
    context = build_context()
    docker = (ROOT / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", docker, re.M):
        *sources, _dest = line.split()
        for source in sources:
            assert source in context or any(f.startswith(source.rstrip("/") + "/") for f in context), source
    for rel in context:
        assert not rel.startswith(("tests/", "benchmarks/", "data/", ".ci/")) and "__pycache__" not in rel, rel
    assert sum((ROOT / rel).stat().st_size for rel in context) < 20_000_000


def test_the_dockerfile_installs_runtime_dependencies_keeps_data_in_the_volume_and_checks_health():
    docker = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", docker, re.M)
    assert "--require-hashes -r requirements-runtime.lock" in docker
    assert "-r requirements.lock" not in docker and "COPY requirements.lock" not in docker
    assert re.search(r"^USER (?!root)\w+", docker, re.M)
    assert 'VOLUME ["/data"]' in docker
    assert "TIESWATCH_DATA=/data" in docker and "TIESWATCH_FEEDS=/data/feeds.yaml" in docker
    assert re.search(r'^HEALTHCHECK .*CMD \["tieswatch", "health"\]', docker, re.M)
    assert 'ENTRYPOINT ["tieswatch-entrypoint"]' in docker and 'CMD ["tieswatch", "run"]' in docker


def test_the_entrypoint_seeds_feeds_yaml_in_the_volume_once(tmp_path):
    script = ROOT / "docker" / "entrypoint.sh"
    assert os.access(script, os.X_OK)
    env = {
        **os.environ,
        "TIESWATCH_FEEDS": str(tmp_path / "feeds.yaml"),
        "TIESWATCH_SEED_FEEDS": str(ROOT / "feeds.yaml"),
    }
    first = subprocess.run(["sh", str(script), "echo", "started"], env=env, capture_output=True, text=True)
    assert first.returncode == 0 and first.stdout == "started\n" and "seeded" in first.stderr
    assert (tmp_path / "feeds.yaml").read_text() == (ROOT / "feeds.yaml").read_text()
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")  # edited by `feeds add` or /addfeed since
    again = subprocess.run(["sh", str(script), "true"], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and (tmp_path / "feeds.yaml").read_text() == "feeds: []\n"


def test_compose_restarts_the_bot_keeps_the_volume_and_passes_every_readme_variable():
    service = YAML(typ="safe").load((ROOT / "compose.yaml").read_text())["services"]["tieswatch"]
    assert service["restart"] in ("always", "unless-stopped")
    assert any(v.endswith(":/data") for v in service["volumes"])
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r"`((?:TELEGRAM|TIESWATCH)_[A-Z_]+)`", readme))
    assert variables and variables <= set(service["environment"]), variables - set(service["environment"])
    assert "docker build" in readme and "docker compose" in readme
