"""``tieswatch demo``: sample feeds of our own, served on loopback, through the real pipeline; the alerts are
printed. Needs no token and no network. Its small feed server is also what the tests serve feeds with.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from bot.config import ALL_NETWORKS, Config
from bot.deliver.console import CONSOLE_CHAT, ConsoleSink
from bot.deliver.outbox import Governor
from bot.deliver.subscriptions import subscribe
from bot.learn.score import Classifier
from bot.pipeline import Pipeline
from bot.store import Store


class FeedServer:
    """Serves ``path -> bytes`` on 127.0.0.1; ``put`` changes a document, ``url`` gives its address."""

    def __init__(self, documents: dict[str, bytes] | None = None, content_type: str = "application/rss+xml"):
        self._docs: dict[str, tuple[bytes, str, str]] = {}
        self._lock = threading.Lock()
        self.content_type = content_type
        self.requests: list[tuple[str, int]] = []
        for path, body in (documents or {}).items():
            self.put(path, body)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the name http.server looks for
                with server._lock:
                    doc = server._docs.get(self.path)
                if doc is None:
                    self._answer(404, b"not found", {})
                    return
                body, etag, modified = doc
                if self.headers.get("If-None-Match") == etag:
                    self._answer(304, b"", {"ETag": etag, "Last-Modified": modified})
                    return
                self._answer(200, body, {"ETag": etag, "Last-Modified": modified, "Content-Type": server.content_type})

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                with server._lock:
                    server.requests.append((self.path, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep test and demo output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def put(self, path: str, body: bytes) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            self._docs[path] = (body, etag, formatdate(usegmt=True))

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="feedserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Our own sample items: (feed, title, summary). The last one appears on the feed while the demo runs.
DEMO_ITEMS = [
    (
        "wire",
        "Seoul: another 3,000 North Korean troops sent to Russia's Kursk front",
        "South Korea's intelligence service told lawmakers that a fresh contingent arrived by ship in Vladivostok "
        "last week and was moved by rail towards Kursk, bringing the total deployed to about 14,000.",
    ),
    (
        "wire",
        "Central bank leaves interest rates unchanged",
        "Policymakers said inflation was easing more slowly than hoped and kept borrowing costs where they were.",
    ),
    (
        "wire",
        "Kim watches cruise missile test from new destroyer",
        "State media said the launches off the west coast tested the ship's weapons systems; Japan lodged a protest.",
    ),
    (
        "italia",
        "Mosca e Pyongyang, in vigore il trattato di mutua assistenza militare",
        "Lo scambio degli strumenti di ratifica rende operativo l'articolo 4: ciascun Paese dovrà aiutare l'altro "
        "con ogni mezzo, anche militare, in caso di aggressione.",
    ),
    (
        "italia",
        "Serie A, il Napoli vince a Roma e torna in testa",
        "Decide un gol nel finale; domenica lo scontro diretto con l'Inter.",
    ),
    (
        "italia",
        "Turisti russi a Wonsan, riapre il resort sul mar del Giappone",
        "Il primo gruppo di vacanzieri è arrivato con un volo charter da Vladivostok; i pacchetti costano circa "
        "1.400 dollari a settimana.",
    ),
    (
        "wire",
        "Japan sanctions shipping firms that carried North Korean shells to Russia",
        "Tokyo froze the assets of three companies whose cargo ships moved containers of artillery ammunition from "
        "Rajin to the Russian port of Vostochny.",
    ),
]


def demo_rss(feed: str, items: list[tuple[str, str, str]], now: datetime) -> bytes:
    entries = []
    for i, (_, title, summary) in enumerate(items):
        published = (now - timedelta(minutes=5 * (len(items) - i))).strftime("%a, %d %b %Y %H:%M:%S +0000")
        entries.append(
            f"<item><title>{escape(title)}</title><link>https://example.org/{feed}/{i}</link>"
            f"<guid>https://example.org/{feed}/{i}</guid><description>{escape(summary)}</description>"
            f"<pubDate>{published}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Demo {feed}</title>'
        f"<link>https://example.org/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def demo(config: Config, stream: TextIO | None = None) -> int:
    """Serve the bundled sample feeds on loopback, run the real pipeline on them, print the alerts."""

    async def main() -> int:
        out = stream
        now = datetime.now(UTC)
        first = DEMO_ITEMS[:-1]
        with FeedServer() as server, tempfile.TemporaryDirectory(prefix="tieswatch-demo-") as tmp:
            for feed in ("wire", "italia"):
                server.put(f"/{feed}.xml", demo_rss(feed, [i for i in first if i[0] == feed], now))
            feeds_yaml = Path(tmp) / "feeds.yaml"
            feeds_yaml.write_text(
                "feeds:\n"
                f"  - name: Demo Wire\n    url: {server.url('/wire.xml')}\n    language: en\n"
                f"  - name: Demo Italia\n    url: {server.url('/italia.xml')}\n    language: it\n"
            )
            # The demo's items live in a scratch database; the model is the real one of the data directory.
            store = Store.open(Path(tmp) / "demo.db")
            # Its feeds are on loopback, which the demo allows for itself whatever TIESWATCH_ALLOW_PRIVATE says.
            demo_config = replace(config, feeds_path=feeds_yaml, data_dir=Path(tmp), allowed_networks=ALL_NETWORKS)
            classifier = Classifier(config.models_dir)
            print(f"tieswatch demo: two sample feeds served on {server.url('/')}; the model decides.", file=out)
            model = classifier.model
            print(f"model {model.version}, threshold {model.threshold:.2f}\n", file=out)
            sink = ConsoleSink(out)
            pipeline = Pipeline(demo_config, store, classifier, sink, Governor(private_interval=0.0))
            subscribe(store, CONSOLE_CHAT, "private", "console", "en", now)
            report = await pipeline.poll(only_due=False)
            sent = (await pipeline.deliver()).sent
            print(f"first poll: {report.new_items} items, {sent} alerts at your sensitivity\n", file=out)
            print("a new item appears on the wire feed…\n", file=out)
            wire = [i for i in DEMO_ITEMS if i[0] == "wire"]
            server.put("/wire.xml", demo_rss("wire", wire, datetime.now(UTC)))
            report = await pipeline.poll(only_due=False)
            sent = (await pipeline.deliver()).sent
            print(f"second poll: {report.new_items} new item, {sent} alert", file=out)
            pipeline.close()
            print(
                f"\n{sink.count} alerts printed; irrelevant items (rates, football, a missile test, tourism) "
                "were stored without alerting.",
                file=out,
            )
            store.close()
        return 0

    return asyncio.run(main())
