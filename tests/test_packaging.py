"""What a fresh machine relies on: the README's two commands, CI calling the same test command, the Dockerfile."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


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


def test_dockerfile_copies_what_exists_and_installs_the_lock():
    docker = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", docker, re.M)
    for line in re.findall(r"^COPY (.+)$", docker, re.M):
        *sources, _dest = line.split()
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    assert "--require-hashes -r requirements.lock" in docker
    assert re.search(r"^USER (?!root)\w+", docker, re.M)
    assert 'VOLUME ["/data"]' in docker
    assert 'CMD ["tieswatch", "run"]' in docker
