"""One configuration object, loaded once from options, environment and files, validated up front."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

DEFAULT_API_URL = "https://api.telegram.org"
USER_AGENT = "tieswatch/0.1 (+https://github.com/tieswatch/tieswatch; news alert bot)"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ALL_NETWORKS: tuple[Network, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass(frozen=True)
class Config:
    """Everything the bot needs to know before it starts.

    feeds_path: the feeds.yaml file, the single source of truth for what is polled.
    data_dir: where the SQLite database and the model files live.
    telegram_token: the bot token; None runs the console sink. Never printed (repr hides it).
    telegram_api_url: Bot API address; the bot calls ``{url}/bot<token>/<method>``.
    admins: Telegram user ids allowed to run admin commands.
    concurrency: how many feeds are fetched at once.
    timeout: seconds for one fetch (connect, read, write and pool each).
    max_bytes: a response body larger than this is cut off and reported.
    max_redirects: more redirects than this is an error.
    first_poll_hours: on a feed's first poll, only items this recent alert; older ones are stored quietly.
    backoff_cap: the longest a failing feed waits before its next try, in seconds.
    pause_after: failures in a row after which a feed is paused and the admins told.
    retrain_days, retrain_labels: a scheduled retrain runs after this many days, or this many new labels.
    sends_in_flight: messages the outbox sends at once, each to a different chat.
    promote_margin: how much precision a retrained model may lose and still be promoted (F1 must not drop).
    corpus: the labelled JSON Lines file (or folder of them) that training starts from; None: the bundled one.
    min_interval: the shortest poll interval feeds.yaml may ask for, in seconds.
    workers: processes that parse feeds and score items beside the one that fetches and stores (0: a thread of
        this process; ``tieswatch`` uses 1 on a machine with more than one core).
    allowed_networks: loopback, private, link-local... networks the bot may fetch from anyway (none by default:
        a feed URL or a redirect into them is refused).
    """

    feeds_path: Path
    data_dir: Path
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_API_URL
    admins: frozenset[int] = frozenset()
    concurrency: int = 20
    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    first_poll_hours: float = 6.0
    backoff_cap: float = 6 * 3600.0
    user_agent: str = USER_AGENT
    pause_after: int = 10
    retrain_days: float = 7.0
    retrain_labels: int = 50
    promote_margin: float = 0.02
    corpus: Path | None = None
    min_interval: int = 60
    sends_in_flight: int = 8  # Telegram's 30/s at a 100-200 ms round trip needs 3-6 at once
    allowed_networks: tuple[Network, ...] = ()
    workers: int = 0

    @property
    def db_path(self) -> Path:
        """The one SQLite database file that holds everything the bot stores."""
        return self.data_dir / "tieswatch.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


def _number_env(env: Mapping[str, str], name: str, default: float, kind: type, low: float, high: float) -> float:
    """A number from the environment, refused (naming the variable and the range) when outside [low, high]."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None
    if not low <= value <= high:  # NaN fails this too
        bounds = f"at least {low:g}" if high >= 10**12 else f"between {low:g} and {high:g}"
        raise ConfigError(f"{name} must be {bounds}, not {raw!r}")
    return value


def _int_env(env: Mapping[str, str], name: str, default: int, low: int = 1, high: int = 10**12) -> int:
    return int(_number_env(env, name, default, int, low, high))


def _float_env(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return float(_number_env(env, name, default, float, low, high))


def parse_admins(raw: str) -> frozenset[int]:
    """``TIESWATCH_ADMINS``: user ids separated by commas or spaces."""
    ids = set()
    for part in raw.replace(",", " ").split():
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(f"TIESWATCH_ADMINS: {part!r} is not a Telegram user id (a number)") from None
    return frozenset(ids)


def parse_allowed(raw: str) -> tuple[Network, ...]:
    """``TIESWATCH_ALLOW_PRIVATE``: empty or 0 allows none, 1 allows all, else networks such as 10.0.0.0/8."""
    raw = raw.strip().lower()
    if raw in ("", "0", "no", "false"):
        return ()
    if raw in ("1", "yes", "true"):
        return ALL_NETWORKS
    networks = []
    for part in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"TIESWATCH_ALLOW_PRIVATE: {part!r} is not a network (give 1, or networks like 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def load_config(
    feeds: str | os.PathLike[str] | None = None,
    data: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration: command-line options win over environment variables over defaults."""
    env = os.environ if env is None else env
    feeds_path = Path(feeds or env.get("TIESWATCH_FEEDS") or "feeds.yaml")
    data_dir = Path(data or env.get("TIESWATCH_DATA") or "data")
    api_url = (env.get("TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_API_URL must start with http:// or https://, not {api_url!r}")
    corpus = env.get("TIESWATCH_CORPUS") or None
    if corpus is not None and not Path(corpus).exists():
        raise ConfigError(f"TIESWATCH_CORPUS: {corpus} does not exist (a JSON Lines file or a folder of them)")
    # One process by default: with the two-family model a worker holds its own copy of the model and of the
    # embedding table, and the bot and its worker together reach ~500 MB against ~330 MB for one process
    # (benchmarks/run_memory_bench.py). The CPU is the same either way; a worker buys wall time on big polls.
    workers = _int_env(env, "TIESWATCH_WORKERS", 0, 0, 64)
    return Config(
        feeds_path=feeds_path,
        data_dir=data_dir,
        telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_url=api_url,
        admins=parse_admins(env.get("TIESWATCH_ADMINS", "")),
        concurrency=_int_env(env, "TIESWATCH_CONCURRENCY", 20, 1, 1000),
        timeout=_float_env(env, "TIESWATCH_TIMEOUT", 20.0, 0.1, 3600),
        max_bytes=_int_env(env, "TIESWATCH_MAX_BYTES", 10 * 1024 * 1024, 1024),
        first_poll_hours=_float_env(env, "TIESWATCH_FIRST_POLL_HOURS", 6.0, 0, 24 * 365),
        pause_after=_int_env(env, "TIESWATCH_PAUSE_AFTER", 10),
        retrain_days=_float_env(env, "TIESWATCH_RETRAIN_DAYS", 7.0, 0.01, 3650),
        retrain_labels=_int_env(env, "TIESWATCH_RETRAIN_LABELS", 50),
        promote_margin=_float_env(env, "TIESWATCH_PROMOTE_MARGIN", 0.02, 0, 1),
        corpus=Path(corpus) if corpus else None,
        min_interval=_int_env(env, "TIESWATCH_MIN_INTERVAL", 60, 1, 86400),
        sends_in_flight=_int_env(env, "TIESWATCH_SENDS_IN_FLIGHT", 8, 1, 100),
        allowed_networks=parse_allowed(env.get("TIESWATCH_ALLOW_PRIVATE", "")),
        workers=workers,
    )
