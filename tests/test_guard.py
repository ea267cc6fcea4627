"""The SSRF guard: a URL someone gives the bot, or a redirect a server sends, never reaches the machine itself or
its private network unless the admin allows it (TIESWATCH_ALLOW_PRIVATE)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

import pytest
from botworld import ADMIN, start_world, stop_world
from test_cli import tieswatch
from test_poll import rss
from werkzeug import Response

from bot.config import ALL_NETWORKS, Config, load_config
from bot.errors import AddressRefused, ConfigError
from bot.ingest import tuning
from bot.ingest.fetch import fetch, make_client

HINT = "set TIESWATCH_ALLOW_PRIVATE=1 (or to the networks to allow) to fetch such addresses"
ONLY_127_0_0_1 = (ipaddress.ip_network("127.0.0.1/32"),)


def config_for(tmp_path: Path, allowed=()) -> Config:
    return Config(feeds_path=tmp_path / "feeds.yaml", data_dir=tmp_path / "data", timeout=2, allowed_networks=allowed)


async def get(config: Config, url: str):
    async with make_client(config) as client:
        return await fetch(client, url, max_bytes=1_000_000, deadline=5)


SPELLINGS = [
    ("127.0.0.1", "127.0.0.1 (a loopback address)"),
    ("localhost", "localhost, which resolves to"),
    ("[::1]", "::1 (a loopback address)"),
    ("0x7f000001", "0x7f000001, which resolves to 127.0.0.1 (a loopback address)"),
    ("2130706433", "2130706433, which resolves to 127.0.0.1 (a loopback address)"),
    ("127.1", "127.1, which resolves to 127.0.0.1 (a loopback address)"),
    ("0.0.0.0", "0.0.0.0 (an unspecified address)"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 (a loopback address)"),
    ("169.254.169.254", "169.254.169.254 (a link-local address)"),
    ("10.1.2.3", "10.1.2.3 (a private address)"),
    ("192.168.0.10", "192.168.0.10 (a private address)"),
    ("224.0.0.1", "224.0.0.1 (a multicast address)"),
    ("240.0.0.1", "240.0.0.1 (a private address)"),
    ("100.64.0.1", "100.64.0.1 (a non-public address)"),
]


def test_every_spelling_of_a_non_public_address_is_refused_before_connecting(server, tmp_path):
    server.expect_request("/feed").respond_with_data(rss(1), content_type="application/rss+xml")
    for host, why in SPELLINGS:
        url = f"http://{host}:{server.port}/feed"
        with pytest.raises(AddressRefused) as refused:
            asyncio.run(get(config_for(tmp_path), url))
        assert refused.value.url == url
        assert refused.value.reason.startswith(f"refused to connect to {why}"), host
        assert refused.value.reason.endswith(HINT)
    assert server.log == []  # nothing reached the server


def test_allowed_networks_are_fetched(server, tmp_path):
    server.expect_request("/feed").respond_with_data(rss(1), content_type="application/rss+xml")
    for allowed in (ALL_NETWORKS, ONLY_127_0_0_1):
        response = asyncio.run(get(config_for(tmp_path, allowed), server.url_for("/feed")))
        assert response.status == 200


def test_every_redirect_hop_is_checked(server, tmp_path):
    server.expect_request("/feed").respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    server.expect_request("/hop").respond_with_response(
        Response(status=301, headers={"Location": f"http://127.0.0.2:{server.port}/feed"})
    )
    config = config_for(tmp_path, ONLY_127_0_0_1)  # the first hop is allowed, the targets are not
    with pytest.raises(AddressRefused, match=r"refused to connect to 169\.254\.169\.254 \(a link-local address\)"):
        asyncio.run(get(config, server.url_for("/feed")))
    with pytest.raises(AddressRefused, match=r"refused to connect to 127\.0\.0\.2 \(a loopback address\)"):
        asyncio.run(get(config, server.url_for("/hop")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_feeds_add_refuses_internal_addresses_and_says_nothing_about_their_ports(server, tmp_path):
    server.expect_request("/feed").respond_with_data(rss(1), content_type="application/rss+xml")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    env = {"TIESWATCH_ALLOW_PRIVATE": "0"}
    answers = []
    for url in (server.url_for("/feed"), f"http://127.0.0.1:{free_port()}/feed"):  # an open port, a closed one
        result = tieswatch("feeds", "add", url, "--lang", "en", "--feeds", str(feeds), cwd=tmp_path, env=env)
        assert result.returncode == 1
        answers.append(result.stderr.replace(url, "URL").strip())
    assert answers[0] == answers[1] == f"tieswatch: URL: refused to connect to 127.0.0.1 (a loopback address): {HINT}"
    assert feeds.read_text() == "feeds: []\n"
    assert server.log == []


def test_feeds_add_never_writes_a_redirect_into_the_private_network(server, tmp_path):
    server.expect_request("/moved").respond_with_response(
        Response(status=301, headers={"Location": "http://10.0.0.7/internal.xml"})
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    env = {"TIESWATCH_ALLOW_PRIVATE": "127.0.0.1/32"}
    result = tieswatch("feeds", "add", server.url_for("/moved"), "--feeds", str(feeds), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "refused to connect to 10.0.0.7 (a private address)" in result.stderr
    assert feeds.read_text() == "feeds: []\n"


def test_opml_import_refuses_address_literals_by_line(tmp_path):
    config = config_for(tmp_path)
    config.feeds_path.write_text("feeds: []\n")
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="2.0"><body>\n'
        '<outline text="Metadata" xmlUrl="http://169.254.169.254/feed" language="en"/>\n'
        '<outline text="Local" xmlUrl="http://0x7f000001:8080/feed" language="en"/>\n'
        '<outline text="Public" xmlUrl="https://example.org/feed.xml" language="en"/>\n'
        "</body></opml>\n"
    )
    added, problems = tuning.import_opml(config, opml)
    assert [f.name for f in added] == ["Public"]
    assert problems == [
        f"list.opml line 3: 169.254.169.254 is a link-local address; {HINT}",
        f"list.opml line 4: 0x7f000001 is a loopback address; {HINT}",
    ]


def test_the_allowance_is_read_from_the_environment():
    env = {"TIESWATCH_ALLOW_PRIVATE": "10.0.0.0/8, 127.0.0.1"}
    assert load_config(env=env).allowed_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    )
    assert load_config(env={"TIESWATCH_ALLOW_PRIVATE": "1"}).allowed_networks == ALL_NETWORKS
    assert load_config(env={}).allowed_networks == ()
    with pytest.raises(ConfigError, match="TIESWATCH_ALLOW_PRIVATE: 'intranet' is not a network"):
        load_config(env={"TIESWATCH_ALLOW_PRIVATE": "intranet"})


async def test_addfeed_in_telegram_refuses_a_private_address(tmp_path, trained_model_dir):
    world, stop, task = await start_world(tmp_path, trained_model_dir, allowed_networks=ONLY_127_0_0_1)
    try:
        world.emu.add_user(ADMIN, first_name="Admin")
        world.emu.send_text(ADMIN, f"/addfeed http://127.0.0.2:{world.feeds.url('/').split(':')[-1]}news.xml en")
        reply = await world.emu.await_for(lambda _: world.sent_to(ADMIN, "refused")[-1], timeout=15)
        assert "127.0.0.2 (a loopback address)" in reply["text"] and "TIESWATCH_ALLOW_PRIVATE=1" in reply["text"]
        assert "127.0.0.2" not in world.config.feeds_path.read_text()
    finally:
        await stop_world(world, stop, task)


def test_a_broken_address_is_refused_with_a_message_not_a_traceback(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    result = tieswatch("feeds", "add", "http://[::1/feed", "--feeds", str(feeds), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "tieswatch: http://[::1/feed: url is malformed (Invalid IPv6 URL)"
