"""Shared fixtures. The network is refused: only loopback connections are allowed in any test."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _loopback(address):
        raise ConnectionRefusedError(f"tests may not use the network (tried {address!r})")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _loopback(address):
        raise ConnectionRefusedError(f"tests may not use the network (tried {address!r})")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test cleanly when that folder is not beside the repository."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is absent)")
    return path


@pytest.fixture
def server():
    """A real HTTP server on loopback that answers requests concurrently (slow handlers block no one)."""
    from pytest_httpserver import HTTPServer

    srv = HTTPServer(host="127.0.0.1", threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


@pytest.fixture(scope="session")
def small_examples():
    """Every eighth example of the bundled corpus (all nine languages, both labels): enough for tests that
    train a model but are not about its quality, in a fraction of the time."""
    from classifier.corpus import bundled_examples

    return bundled_examples()[::8]


@pytest.fixture(scope="session")
def small_corpus(small_examples, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``small_examples`` as a JSON Lines file, for TIESWATCH_CORPUS (what `train` and `retrain` start from)."""
    import json

    path = tmp_path_factory.mktemp("corpus") / "small.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for e in small_examples:
            f.write(json.dumps({"id": e.id, "lang": e.lang, "title": e.title, "text": e.body, "label": e.label}) + "\n")
    return path


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose model was trained once, on the bundled corpus, for the whole session: the model
    the quality bar is measured on, copied by the tests that need a model in use."""
    from classifier import registry

    data = tmp_path_factory.mktemp("trained")
    registry.ensure_model(data / "models")
    return data


@pytest.fixture(scope="session")
def model(trained_model_dir: Path):
    from classifier import registry

    return registry.load(trained_model_dir / "models")
