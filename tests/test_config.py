"""Configuration: options win over environment over defaults; bad values say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError


def test_defaults_environment_and_options():
    config = load_config(env={})
    assert (config.feeds_path, config.data_dir, config.db_path) == (
        Path("feeds.yaml"),
        Path("data"),
        Path("data/tieswatch.db"),
    )
    assert config.telegram_token is None and config.telegram_api_url == "https://api.telegram.org"
    assert config.sends_in_flight == 8 and load_config(env={"TIESWATCH_SENDS_IN_FLIGHT": "3"}).sends_in_flight == 3
    env = {
        "TIESWATCH_FEEDS": "/etc/f.yaml",
        "TIESWATCH_DATA": "/var/tw",
        "TIESWATCH_ADMINS": "1, 2 3",
        "TELEGRAM_BOT_TOKEN": "123:secret",
        "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
    }
    config = load_config(env=env)
    assert config.feeds_path == Path("/etc/f.yaml") and config.admins == {1, 2, 3}
    assert config.telegram_api_url == "http://127.0.0.1:8081"
    assert load_config("x.yaml", "d", env=env).feeds_path == Path("x.yaml")


def test_the_token_never_shows_in_the_configs_repr():
    assert "secret" not in repr(load_config(env={"TELEGRAM_BOT_TOKEN": "123:secret"}))


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TIESWATCH_ADMINS": "alice"}, "TIESWATCH_ADMINS: 'alice' is not a Telegram user id"),
        ({"TIESWATCH_CONCURRENCY": "many"}, "TIESWATCH_CONCURRENCY must be a whole number"),
        ({"TIESWATCH_CONCURRENCY": "0"}, "TIESWATCH_CONCURRENCY must be between 1 and 1000, not '0'"),
        ({"TIESWATCH_TIMEOUT": "-1"}, "TIESWATCH_TIMEOUT must be between 0.1 and 3600, not '-1'"),
        ({"TIESWATCH_TIMEOUT": "nan"}, "TIESWATCH_TIMEOUT must be between"),
        ({"TIESWATCH_MAX_BYTES": "0"}, "TIESWATCH_MAX_BYTES must be at least 1024"),
        ({"TIESWATCH_PAUSE_AFTER": "0"}, "TIESWATCH_PAUSE_AFTER must be at least 1"),
        ({"TIESWATCH_PROMOTE_MARGIN": "2"}, "TIESWATCH_PROMOTE_MARGIN must be between 0 and 1"),
        ({"TIESWATCH_MIN_INTERVAL": "0"}, "TIESWATCH_MIN_INTERVAL must be between 1 and 86400"),
        ({"TIESWATCH_CORPUS": "/nonexistent/c.jsonl"}, "TIESWATCH_CORPUS: /nonexistent/c.jsonl does not exist"),
        ({"TIESWATCH_SENDS_IN_FLIGHT": "0"}, "TIESWATCH_SENDS_IN_FLIGHT must be between 1 and 100, not '0'"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL must start with http:// or https://"),
    ],
)
def test_bad_values_are_explained(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env=env)


def test_the_token_is_redacted_from_every_log_line(capsys):
    import logging

    from bot.app.cli import redact_secret

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        redact_secret("123:secret")
        logging.getLogger("telegram.request").warning("POST https://api.telegram.org/bot%s/getMe", "123:secret")
    finally:
        root.removeHandler(handler)
    err = capsys.readouterr().err
    assert "secret" not in err and "bot<TELEGRAM_BOT_TOKEN>/getMe" in err
