"""Fetch: one conditional GET per feed, with every limit a hostile or broken server calls for.

A response is either a ``Response`` (200 with its body, or 304 with none) or a ``FetchError`` that says
what went wrong; the caller turns the error into a value so one bad feed never stops the others.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field

import httpx

from bot.config import Config
from bot.errors import AddressRefused, FetchError
from bot.ingest.feeds_yaml import check_url
from bot.ingest.guard import GuardedBackend
from bot.types import Validators

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"  # noqa: E501


@dataclass(frozen=True)
class Response:
    """A fetched feed document.

    url: the final address after redirects (relative links resolve against it).
    status: 200 or 304.
    body: the document's bytes, decompressed; empty for 304.
    headers: the response headers feedparser and the next request need (lower-case names).
    validators: ETag / Last-Modified to send next time.
    elapsed: seconds from request to last byte.
    """

    url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    validators: Validators = Validators()
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Decoder:
    """One content-encoding layer, decoded with a bound: a 1 KB gzip chunk cannot expand past ``max_bytes``."""

    def __init__(self, url: str, encoding: str, max_bytes: int):
        self.url, self.encoding, self.max_bytes, self.size = url, encoding, max_bytes, 0
        self._raw = encoding == "identity"
        # gzip framing, or zlib framing for deflate (raw deflate, which some servers send, is tried on failure)
        self._z = None if self._raw else zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else 15)
        self._tried_raw = False

    def feed(self, data: bytes) -> bytes:
        if self._raw:
            self.size += len(data)
            self._check()
            return data
        out = []
        while data:
            try:
                chunk = self._z.decompress(data, self.max_bytes - self.size + 1)
            except zlib.error as e:
                if self.encoding == "deflate" and not self._tried_raw and self.size == 0:
                    self._z, self._tried_raw = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise FetchError(self.url, f"body is not valid {self.encoding} ({e})", 200) from None
            self.size += len(chunk)
            self._check()
            out.append(chunk)
            data = self._z.unconsumed_tail  # left over only when the output bound was reached
        return b"".join(out)

    def finish(self) -> bytes:
        """Whatever the decoder still holds once the body has ended."""
        if self._raw:
            return b""
        rest = self._z.flush()
        self.size += len(rest)
        self._check()
        return rest

    def _check(self) -> None:
        if self.size > self.max_bytes:
            raise FetchError(
                self.url, f"body decoded from {self.encoding} is over the {self.max_bytes:,}-byte limit; cut off", 200
            )


def _decoder(url: str, header: str, max_bytes: int) -> _Decoder:
    """The decoder for a Content-Encoding header: one layer of gzip or deflate at most."""
    layers = [e.strip().lower() for e in header.split(",") if e.strip() and e.strip().lower() != "identity"]
    if len(layers) > 1:
        # Each layer multiplies the expansion (a 2 KB "gzip, gzip" body is gigabytes); no feed needs two.
        raise FetchError(url, f"nested content encodings ({', '.join(layers)}) are refused", 200)
    encoding = layers[0] if layers else "identity"
    if encoding == "x-gzip":
        encoding = "gzip"
    if encoding not in ("identity", "gzip", "deflate"):
        raise FetchError(url, f"content encoding {encoding!r} is not supported (we ask for gzip or deflate)", 200)
    return _Decoder(url, encoding, max_bytes)


def guarded_transport(config: Config, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport, connecting only where ``bot.ingest.guard`` allows (every hop of every redirect)."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no public way to hand httpcore a network backend; the pool reads this attribute for each new
    # connection (tests/test_guard.py fails if an upgrade stops that).
    transport._pool._network_backend = GuardedBackend(config.allowed_networks)
    return transport


def make_client(config: Config) -> httpx.AsyncClient:
    """One shared client: its pool is sized to the global concurrency limit; it connects only to public
    addresses unless the configuration allows others."""
    limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
    return httpx.AsyncClient(
        transport=guarded_transport(config, limits),
        timeout=httpx.Timeout(config.timeout),
        follow_redirects=True,
        max_redirects=config.max_redirects,
        headers={"User-Agent": config.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        trust_env=False,  # proxies from the environment would send feed traffic elsewhere unannounced
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    validators: Validators = Validators(),
    *,
    max_bytes: int,
    deadline: float = 60.0,
) -> Response:
    """GET ``url`` conditionally; raise FetchError for anything but 200/304 or a broken limit.

    ``deadline`` bounds the whole exchange: a server that drips one byte a second never trips the
    per-read timeout, so the total needs a limit of its own.
    """
    if (why := check_url(url)) is not None:
        raise FetchError(url, why)
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    start = time.monotonic()
    try:
        async with asyncio.timeout(deadline):
            async with client.stream("GET", url, headers=headers) as r:
                if r.status_code == 304:
                    return Response(str(r.url), 304, validators=validators, elapsed=time.monotonic() - start)
                if r.status_code != 200:
                    raise FetchError(url, f"HTTP {r.status_code} {r.reason_phrase}".strip(), r.status_code)
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(url, f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte limit", 200)
                # Bytes are counted as they come off the wire, and again after decoding, chunk by chunk: httpx's
                # own decoding would expand a whole chunk before any limit could be checked.
                decoder = _decoder(url, r.headers.get("content-encoding", ""), max_bytes)
                chunks, wire = [], 0
                async for raw in r.aiter_raw():
                    wire += len(raw)
                    if wire > max_bytes:
                        raise FetchError(url, f"body is over the {max_bytes:,}-byte limit; cut off", 200)
                    chunks.append(decoder.feed(raw))
                chunks.append(decoder.finish())
                kept = {k: r.headers[k] for k in ("content-type", "etag", "last-modified") if k in r.headers}
                kept["content-location"] = str(r.url)
                return Response(
                    url=str(r.url),
                    status=200,
                    body=b"".join(chunks),
                    headers=kept,
                    validators=Validators(r.headers.get("etag"), r.headers.get("last-modified")),
                    elapsed=time.monotonic() - start,
                )
    except AddressRefused as e:
        raise AddressRefused(url, e.reason) from None
    except TimeoutError:
        raise FetchError(url, f"no complete answer within {deadline:g} s") from None
    except httpx.TooManyRedirects as e:
        raise FetchError(url, "too many redirects (a redirect loop?)") from e
    except httpx.TimeoutException as e:
        raise FetchError(url, f"timed out ({type(e).__name__})") from e
    except httpx.ConnectError as e:
        reason = _reason(e)
        if "Name or service not known" in reason or "nodename nor servname" in reason or "getaddrinfo" in reason:
            raise FetchError(url, "cannot connect: the host name does not resolve (no network, or a typo?)") from e
        raise FetchError(url, f"cannot connect ({reason})") from e
    except httpx.UnsupportedProtocol as e:
        raise FetchError(url, "redirected to an address that is not http or https") from e
    except httpx.HTTPError as e:
        raise FetchError(url, f"{type(e).__name__}: {_reason(e)}") from e


def _reason(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[-1] if text else type(e).__name__
