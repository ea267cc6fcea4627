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
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose model was trained once, on the bundled corpus, for the whole session."""
    from classifier import registry

    data = tmp_path_factory.mktemp("trained")
    registry.ensure_model(data / "models")
    return data


@pytest.fixture(scope="session")
def model(trained_model_dir: Path):
    from classifier import registry

    return registry.load(trained_model_dir / "models")
