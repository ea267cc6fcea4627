"""A small, faithful Telegram Bot API emulator for end-to-end tests.

The real python-telegram-bot client talks to it over HTTP on 127.0.0.1::

    async with TelegramEmulator(token="123:ABC") as emu:
        emu.add_user(42, first_name="Ada")
        bot = Bot(emu.token, base_url=emu.url + "/bot", base_file_url=emu.url + "/file/bot")
        ...
        emu.send_text(42, "/start")                  # the user's side
        await emu.await_for(lambda sent: sent and sent[-1]["text"].startswith("Welcome"))

What it reproduces, because bots break on exactly these details in production:

* the HTTP contract: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": ..., "parameters": {...}}`` with the real HTTP status (python-telegram-bot
  picks its exception class from the status, not from the body);
* parameters as JSON body, form-urlencoded, multipart (uploads) or query string, with the
  non-string values JSON-encoded as python-telegram-bot sends them;
* long polling that really waits, ``offset`` confirmation, ``limit``, ``allowed_updates``, and
  409 Conflict when a second getUpdates (or a webhook) competes with the first;
* TDLib's HTML parser (tags, attributes, entities, byte offsets in the error messages), the
  4096/1024 length limits counted after parsing, keyboard and callback_data validation,
  "message is not modified", and editMessageText dropping a keyboard it is not given again.

Deliberate simplifications: Markdown/MarkdownV2 texts are stored unparsed, no automatic
url/mention entity detection in bot messages, no inline mode, no payments, no forum topics.

One deliberate deviation, switchable: real Telegram renders a bare ``&`` that does not start
one of its entities (``&lt; &gt; &amp; &quot; &#NN; &#xNN;``) literally. With
``strict_ampersand=True`` (the default) the emulator rejects it with "can't parse entities",
so tests catch text that was not passed through ``html.escape``. ``strict_ampersand=False``
is Telegram's exact behaviour. A bare ``<`` is rejected by Telegram itself.

Thread safety: all state sits behind one ``threading.RLock`` that is never held across an
``await``; the HTTP handlers run on the emulator's loop and the user-side methods may be called
from any thread (long pollers are woken with ``call_soon_threadsafe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# Update types Telegram leaves out when allowed_updates is empty or was never set.
_OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
_TOKEN_RE = re.compile(r"\d+:[\w-]+")
_CONFLICT_POLL = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_DEFAULT_DESCRIPTIONS = {
    **{400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user"},
    **{404: "Not Found", 409: "Conflict", 429: "Too Many Requests: retry after {retry_after}"},
    **{500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"},
}


class ApiError(Exception):
    """A Bot API error reply; ``status`` is both the HTTP status and Telegram's ``error_code``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _bad(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


# --------------------------------------------------------------------------- HTML (TDLib's rules)

_SIMPLE_TAGS = {
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("i", "em"), "italic"),
    **dict.fromkeys(("u", "ins"), "underline"),
    **dict.fromkeys(("s", "strike", "del"), "strikethrough"),
    **dict.fromkeys(("span", "tg-spoiler"), "spoiler"),
}
_ALLOWED_TAGS = set(_SIMPLE_TAGS) | {"a", "code", "pre", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?")
_URL_RE = re.compile(r"(?i)^(?:(?:https?|tg|ton)://\S+|[\w-]+(?:\.[\w-]+)+(?:[/?#:]\S*)?)$")


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``text[i] == "&"`` like TDLib; return (char, next index) or None."""
    m = _ENTITY_RE.match(text, i)
    if not m:
        return None
    hex_digits, dec_digits, name = m.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)  # only these four named entities are supported
        return (char, m.end()) if char else None
    code = int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram-flavoured HTML into (plain text, entities), raising ApiError 400 like TDLib."""
    out: list[str] = []
    u16 = 0  # UTF-16 length of the text produced so far = offset of the next entity
    stack: list[tuple[str, str, int, int]] = []  # (tag, argument, utf16 offset, index into out)
    entities: list[JSON] = []
    i, n = 0, len(source)

    def fail(message: str) -> ApiError:
        return _bad(f"can't parse entities: {message}")

    def at(pos: int) -> int:  # TDLib reports byte offsets into the UTF-8 text
        return len(source[:pos].encode())

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i)
            if decoded:
                out.append(decoded[0])
                u16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(f'Character "&" at byte offset {at(i)} does not start an entity, write "&amp;"')
        if c != "<":
            out.append(c)
            u16 += utf16_len(c)
            i += 1
            continue
        begin, i = i, i + 1
        if i < n and source[i] == "/":  # end tag
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {at(begin)}")
            j = i + 1
            while j < n and not source[j].isspace() and source[j] != ">":
                j += 1
            end_name = source[i + 1 : j]
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {at(begin)}")
            tag, arg, offset, start = stack.pop()
            if end_name and end_name.lower() != tag:
                found = f'expected "</{tag}>", found "</{end_name}>"'
                raise fail(f"Unmatched end tag at byte offset {at(begin)}, {found}")
            if u16 > offset:  # empty entities are dropped silently
                _close_entity(entities, tag, arg, offset, u16 - offset, "".join(out[start:]))
            i = j + 1
            continue
        j = i
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {at(begin)}")
        tag = source[i:j].lower()
        if tag not in _ALLOWED_TAGS:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
        attrs, i = _parse_attributes(source, j, tag, fail, at(begin))
        arg = ""
        if tag == "a":
            arg = attrs.get("href", "")
        elif tag == "code" and attrs.get("class", "").startswith("language-"):
            arg = attrs["class"][len("language-") :]
        elif tag == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}')
        elif tag == "tg-emoji":
            arg = attrs.get("emoji-id", "")
            if not arg.isdigit():
                raise fail(f'Custom emoji entity must have attribute "emoji-id" at byte offset {at(begin)}')
        elif tag == "blockquote" and "expandable" in attrs:
            arg = "expandable"
        stack.append((tag, arg, u16, len(out)))
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only survives on a <pre><code class=...>
    return "".join(out), entities


def _parse_attributes(
    s: str, i: int, tag: str, fail: Callable[[str], ApiError], begin: int
) -> tuple[dict[str, str], int]:
    """Parse ``name="value"``, ``name='value'``, ``name=token`` up to ``>``; return (attrs, index after it)."""
    attrs: dict[str, str] = {}
    n = len(s)
    while True:
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {begin}")
        if s[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and not s[i].isspace() and s[i] not in "=>":
            i += 1
        name = s[start:i].lower()
        if not name:
            raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while i < n and s[i].isspace():
            i += 1
        if i >= n or s[i] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            where = f'the tag "{tag}" at byte offset {begin}'
            raise fail(f"Expected equal sign in declaration of an attribute of {where}")
        i += 1
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            raise fail(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if s[i] in "\"'":
            quote, value = s[i], []
            i += 1
            while i < n and s[i] != quote:
                decoded = _decode_entity(s, i) if s[i] == "&" else None
                if decoded:
                    value.append(decoded[0])
                    i = decoded[1]
                else:
                    value.append(s[i])
                    i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {begin}")
            i += 1
            attrs[name] = "".join(value)
        else:  # an unquoted name token: letters, digits, periods, hyphens
            start = i
            while i < n and (s[i].isalnum() or s[i] in ".-"):
                i += 1
            if i >= n or not (s[i].isspace() or s[i] == ">"):
                raise fail(f"Unexpected end of name token at byte offset {len(s[:start].encode())}")
            attrs[name] = s[start:i].lower()


def _close_entity(entities: list[JSON], tag: str, arg: str, offset: int, length: int, inner: str) -> None:
    """Append the entity for a closed tag, merging <pre><code class="language-x"> the way TDLib does."""
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_TAGS:
        entities.append({"type": _SIMPLE_TAGS[tag], "offset": offset, "length": length})
    elif tag == "a":
        url = arg or inner
        if _URL_RE.match(url):  # TDLib silently drops links it cannot parse
            url = url if "://" in url else "http://" + url
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "code":
        entities.append({"type": "code", "offset": offset, "length": length, "language": arg})
    elif tag == "pre":
        if same_span and last and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if arg else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji":
        entities.append({"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": arg})


def _strip_text(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram trims surrounding whitespace after parsing; shift and clip entities to match."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, result


# --------------------------------------------------------------------------- keyboards and params

# fmt: off
_BUTTON_ACTIONS = {
    "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
}
# Form and query values are strings; these fields carry JSON, integers or booleans.
_JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "link_preview_options", "reply_parameters", "media",
}
_INT_FIELDS = {"message_id", "offset", "limit", "user_id", "cache_time", "reply_to_message_id", "message_thread_id"}
_BOOL_FIELDS = {
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates", "disable_web_page_preview",
    "allow_sending_without_reply",
}
_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
    "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
_ADMIN_RIGHTS = {"can_be_edited": False, "is_anonymous": False, **dict.fromkeys((
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members", "can_promote_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
    "can_pin_messages"), True)}
_BOT_CAPABILITIES = {
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
    "can_connect_to_business": False, "has_main_web_app": False,
}
_GIFT_TYPES = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels")
# fmt: on
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message"
)


def _check_markup(markup: Any, *, inline_only: bool) -> JSON | None:
    """Validate reply_markup like the Bot API; return it (None when absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only or not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise _bad("inline keyboard expected" if inline_only else "can't parse reply keyboard markup JSON object")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    if sum(len(row) for row in rows) > 100:
        raise _bad("reply markup is too long")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
            raise _bad("can't parse inline keyboard button: Text must be a non-empty String")
        if not _BUTTON_ACTIONS & button.keys():
            raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if "callback_data" in button and (
            not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
        ):
            raise _bad("BUTTON_DATA_INVALID")
        if "url" in button and not (isinstance(button["url"], str) and _URL_RE.match(button["url"])):
            raise _bad("BUTTON_URL_INVALID")
    return markup


@dataclass
class Upload:
    """A file received in a multipart request."""

    filename: str
    content_type: str
    data: bytes


def _coerce(params: JSON) -> JSON:
    """Turn form/query strings into the types the JSON body would carry (as Telegram does per field)."""
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        try:
            if key in _JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in _INT_FIELDS or key == "chat_id" and re.fullmatch(r"-?\d+", value):
                params[key] = int(value)
            elif key == "timeout":
                params[key] = float(value)
            elif key in _BOOL_FIELDS:
                params[key] = value.lower() in ("true", "1")
        except ValueError as exc:
            raise _bad(f"can't parse parameter {key}") from exc
    return params


# --------------------------------------------------------------------------- stored state


@dataclass
class _Msg:
    """A message in a chat, sent by the bot or by a user."""

    chat_id: int
    message_id: int
    date: int
    sender: JSON
    method: str  # API method that created it, or "user" for send_text()
    text: str  # plain text after entity parsing (the caption for media)
    raw: str  # exactly what the bot sent (the HTML source with parse_mode=HTML)
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    kind: str = "text"  # text | photo | document
    media: Any = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    history: list[str] = field(default_factory=list)  # earlier raw texts, oldest first

    def record(self) -> JSON:
        """The public view used by sent(): ``html`` is the raw text, ``edited`` a flag."""
        d = asdict(self)  # a deep copy, so callers can't mutate emulator state
        del d["sender"]
        d["html"], d["reply_to_message_id"] = d.pop("raw"), d.pop("reply_to")
        d["edited"] = d["edit_date"] is not None
        return d


@dataclass
class _Fault:
    method: str  # lower-case, "*" = any
    chat_id: int | str | None
    status: int
    description: str
    parameters: JSON | None
    times: int | None
    seconds: float = 0.0  # used by slow()

    def matches(self, method: str, params: JSON) -> bool:
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


class TelegramEmulator:
    """Telegram Bot API over HTTP on 127.0.0.1, plus a user-side API for tests (see module docstring)."""

    def __init__(
        self,
        token: str = "123:ABC",  # noqa: S107 - a fake token for tests
        *,
        bot_username: str = "emulator_bot",
        bot_first_name: str = "Emulator Bot",
        strict_ampersand: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"token {token!r} is not shaped like '<bot id>:<secret>'")
        self.token, self.host, self.strict_ampersand = token, host, strict_ampersand
        self._wanted_port = port  # 0: any free port
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._lock = threading.RLock()
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        # chat id -> {"admins": [ids, creator first], "members": {ids}, "bot_is_admin": bool}
        self._groups: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], _Msg] = {}
        self._sent_keys: list[tuple[int, int]] = []
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._allowed: set[str] | None = None
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_ids = itertools.count(4_000_000_000_001)
        self._answers: list[JSON] = []
        self._calls: list[JSON] = []
        self._faults: list[_Fault] = []
        self._slows: list[_Fault] = []
        self._garbles: list[_Fault] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, JSON] = {}
        self._webhook_url = ""
        # Loop-side state, only touched on the emulator's loop.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0
        self._port = 0
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; the bot's base_url is ``url + "/bot"``."""
        if not self._port:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self._port}"

    async def start(self) -> str:
        """Serve on a free port of ``host`` in the running loop; return :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/file/{prefix}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{prefix}/{method}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # A short shutdown_timeout: stop() wakes the long polls, nothing else needs to linger.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self._wanted_port).start()
        self._runner, self._port = runner, runner.addresses[0][1]
        return self.url

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        if self._runner is None:
            return
        assert self._stopping is not None
        self._stopping.set()
        self._wake_waiters()
        await self._runner.cleanup()
        self._runner, self._loop = None, None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> str:
        """Run the emulator on its own event loop in a daemon thread; return :attr:`url`."""
        ready, box = threading.Event(), {}

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            box["loop"] = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # hand the failure to the starting thread
                box["error"] = exc
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        thread = threading.Thread(target=run, name="tg-emulator", daemon=True)
        thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("emulator thread did not start in time")
        if "error" in box:
            raise box["error"]
        self._thread, self._thread_loop = thread, box["loop"]
        return self.url

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop an emulator started with :meth:`start_in_thread` and join its thread."""
        loop, thread = self._thread_loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread, self._thread_loop = None, None

    def __enter__(self) -> TelegramEmulator:
        self.start_in_thread()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_thread()

    # ------------------------------------------------------------------ user-side API (thread-safe)

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Register a user (and its private chat, whose id equals the user id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({k: v for k, v in optional.items() if v is not None})
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        chat.update({k: v for k, v in optional.items() if v is not None and k != "language_code"})
        with self._lock:
            self._users[user_id], self._chats[user_id] = user, chat
        return dict(user)

    def add_group(
        self,
        chat_id: int,
        title: str,
        admins: list[int] | tuple[int, ...] = (),
        type: str = "group",
        *,
        username: str | None = None,
        bot_is_admin: bool = False,
    ) -> JSON:
        """Register a group/supergroup/channel; the first admin is the creator."""
        if type not in ("group", "supergroup", "channel") or chat_id >= 0:
            raise ValueError("need type group|supergroup|channel and a negative chat id")
        chat = {"id": chat_id, "type": type, "title": title, **({"username": username} if username else {})}
        with self._lock:
            for uid in admins:
                if uid not in self._users:
                    self.add_user(uid, f"Admin{uid}")
            self._chats[chat_id] = chat
            self._groups[chat_id] = {"admins": list(admins), "members": set(admins), "bot_is_admin": bot_is_admin}
        return dict(chat)

    def send_text(self, chat_id: int, text: str, user_id: int | None = None, reply_to: int | None = None) -> JSON:
        """A user writes ``text`` in ``chat_id``; ``/cmd`` and ``/cmd@bot`` get bot_command entities."""
        with self._lock:
            if chat_id not in self._chats:
                if chat_id < 0:
                    raise KeyError(f"chat {chat_id} unknown: call add_group() first")
                self.add_user(chat_id, f"User{chat_id}")
            chat = self._chats[chat_id]
            if chat["type"] == "private":
                user_id = chat_id if user_id is None else user_id
                if user_id != chat_id:
                    raise ValueError("in a private chat the chat id is the user id")
            elif user_id is None:
                raise ValueError("say which user_id writes in a group")
            if user_id not in self._users:
                self.add_user(user_id, f"User{user_id}")
            if chat_id in self._groups:
                self._groups[chat_id]["members"].add(user_id)
            entities = [
                {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
                for m in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?", text)
            ]
            msg = self._store(
                chat_id, "user", text, text, None, entities, sender=self._users[user_id], reply_to=reply_to
            )
            kind = "channel_post" if chat["type"] == "channel" else "message"
            return self._push({kind: self._message_json(msg)})

    def press_button(self, chat_id: int, message_id: int, data: str, user_id: int | None = None) -> JSON:
        """A user presses the inline button carrying ``data`` on a message the bot sent."""
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            if msg is None or msg.deleted or msg.method == "user":
                raise KeyError(f"no live bot message {message_id} in chat {chat_id}")
            rows = (msg.reply_markup or {}).get("inline_keyboard", [])
            offered = [b["callback_data"] for b in itertools.chain.from_iterable(rows) if "callback_data" in b]
            if data not in offered:
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}; it has {offered}")
            if user_id is None:
                if self._chats[chat_id]["type"] != "private":
                    raise ValueError("say which user_id presses the button in a group")
                user_id = chat_id
            if user_id not in self._users:
                self.add_user(user_id, f"User{user_id}")
            query_id = str(next(self._query_ids))
            self._queries[query_id] = False
            query = {
                "id": query_id,
                "from": self._users[user_id],
                "chat_instance": str(abs(chat_id) * 7919 + 1),
                "message": self._message_json(msg),
                "data": data,
            }
            return self._push({"callback_query": query})

    def push_update(self, payload: JSON) -> JSON:
        """Queue any other update body (e.g. ``{"my_chat_member": {...}}``); the update_id is added."""
        with self._lock:
            return self._push(copy.deepcopy(payload))

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent, oldest first, as dicts (see ``_Msg.record``), including deleted ones."""
        with self._lock:
            msgs = (self._messages[key] for key in self._sent_keys)
            return [m.record() for m in msgs if chat_id is None or m.chat_id == chat_id]

    def calls(self, method: str | None = None) -> list[JSON]:
        """Every API call: dicts with method, params, time (monotonic), status, description."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c["method"].lower() == method.lower()]

    @property
    def callback_answers(self) -> list[JSON]:
        """answerCallbackQuery calls that succeeded, with their parameters."""
        with self._lock:
            return copy.deepcopy(self._answers)

    @property
    def commands(self) -> list[JSON]:
        """What setMyCommands set for the default scope without language_code."""
        return self.commands_for()

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        parameters: JSON | None = None,
    ) -> None:
        """Make ``method`` (``"*"`` = any) fail, optionally only for ``chat_id``, ``times`` times (None = forever)."""
        params = dict(parameters or {})
        if status == 429:
            params.setdefault("retry_after", retry_after or 1)  # Telegram always says how long to wait
        elif retry_after is not None:
            params["retry_after"] = retry_after
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(status, "Error").format(retry_after=params.get("retry_after"))
        with self._lock:
            self._faults.append(_Fault(method.lower(), chat_id, status, description, params or None, times))

    def slow(self, method: str, seconds: float, *, chat_id: int | str | None = None, times: int | None = None) -> None:
        """Delay answers to ``method`` (``"*"`` = any) by ``seconds``."""
        with self._lock:
            self._slows.append(_Fault(method.lower(), chat_id, 200, "", None, times, seconds))

    def garble(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        field: str = "date",
        value: Any = "not a timestamp",
        times: int | None = 1,
    ) -> None:
        """Let ``method`` take effect (the message is sent), then answer with ``field`` of its result set to
        ``value``: an API server that returns a field in an unexpected form, so the client fails after the fact."""
        with self._lock:
            self._garbles.append(_Fault(method.lower(), chat_id, 200, field, {"value": value}, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._slows.clear()
            self._garbles.clear()

    def _take(self, faults: list[_Fault], method: str, params: JSON) -> _Fault | None:
        with self._lock:
            for fault in faults:
                if fault.matches(method, params):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------------ waiting helpers

    def wait_for(self, predicate: Callable[[list[JSON]], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
        """Poll ``predicate(self.sent())`` until truthy (returned) or raise AssertionError. For sync tests."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self._loop:  # sleeping here would starve the server
            raise RuntimeError("wait_for() would block the emulator's own loop: use await emu.await_for()")
        deadline = time.monotonic() + timeout
        while True:
            if result := self._check(predicate):
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            time.sleep(interval)

    async def await_for(
        self, predicate: Callable[[list[JSON]], Any], timeout: float = 5.0, interval: float = 0.02
    ) -> Any:
        """Async twin of :meth:`wait_for`."""
        deadline = time.monotonic() + timeout
        while True:
            if result := self._check(predicate):
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            await asyncio.sleep(interval)

    def _check(self, predicate: Callable[[list[JSON]], Any]) -> Any:
        try:
            return predicate(self.sent())
        except LookupError:  # e.g. sent[-1] before anything was sent: not yet
            return None

    def _timeout_report(self, predicate: Callable[..., Any], timeout: float) -> str:
        name = getattr(predicate, "__name__", repr(predicate))
        lines = [f"condition {name} not met within {timeout}s", f"bot sent {len(self.sent())} message(s):"]
        for m in self.sent():
            flags = "".join(f" [{f}]" for f in ("edited", "deleted") if m[f])
            keyboard = [
                [b.get("callback_data", b.get("url")) for b in row]
                for row in (m["reply_markup"] or {}).get("inline_keyboard", [])
            ]
            lines.append(
                f"  chat={m['chat_id']} id={m['message_id']} {m['method']}{flags}: {m['html']!r}"
                + (f" buttons={keyboard}" if keyboard else "")
            )
        calls = self.calls()
        lines.append(f"last API calls (of {len(calls)}):")
        t0 = calls[0]["time"] if calls else 0.0
        for c in calls[-15:]:
            lines.append(f"  +{c['time'] - t0:.3f}s {c['method']} -> {c['status']} {c['params']}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals: state

    def _push(self, body: JSON) -> JSON:
        """Queue an update (lock held) and wake long polls, possibly from another thread."""
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._updates.append(update)
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed: nobody is polling
                loop.call_soon_threadsafe(self._wake_waiters)
        return copy.deepcopy(update)

    def _wake_waiters(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    def _store(
        self, chat_id: int, method: str, text: str, raw: str, parse_mode: str | None, entities: list[JSON], **kw: Any
    ) -> _Msg:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        sender = kw.pop("sender", self.bot_user)
        msg = _Msg(chat_id, message_id, int(time.time()), sender, method, text, raw, parse_mode, entities, **kw)
        self._messages[(chat_id, message_id)] = msg
        if method != "user":
            self._sent_keys.append((chat_id, message_id))
        return msg

    def _message_json(self, m: _Msg, *, nested: bool = False) -> JSON:
        """The Bot API Message object for a stored message."""
        chat = self._chats[m.chat_id]
        d: JSON = {"message_id": m.message_id, "date": m.date, "chat": chat}
        if chat["type"] == "channel":
            d["sender_chat"] = chat
        else:
            d["from"] = m.sender
        if m.edit_date is not None:
            d["edit_date"] = m.edit_date
        if m.kind == "text":
            d["text"] = m.text
        else:
            d[m.kind] = m.media
            if m.text:
                d["caption"] = m.text
        if m.entities:
            d["entities" if m.kind == "text" else "caption_entities"] = m.entities
        if m.reply_markup and "inline_keyboard" in m.reply_markup:  # only inline keyboards are echoed
            d["reply_markup"] = m.reply_markup
        replied = self._messages.get((m.chat_id, m.reply_to)) if m.reply_to else None
        if replied and not nested:
            d["reply_to_message"] = self._message_json(replied, nested=True)
        return copy.deepcopy(d)

    def _chat(self, params: JSON) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        with self._lock:
            if isinstance(chat_id, str):  # "@username" of a public group or channel
                found = [c["id"] for c in self._chats.values() if "@" + c.get("username", "") == chat_id]
                if found and self._chats[found[0]]["type"] != "private":
                    return found[0]
            elif chat_id in self._chats:
                return chat_id
        raise _bad("chat not found")

    def _bot_message(self, params: JSON, action: str) -> _Msg:
        chat_id = self._chat(params)
        if "message_id" not in params:
            raise _bad(
                "message identifier is not specified"
                if "inline_message_id" not in params
                else "inline messages are not emulated"
            )
        msg = self._messages.get((chat_id, params["message_id"]))
        if msg is None or msg.deleted:
            raise _bad(f"message to {action} not found")
        if action == "edit" and msg.method == "user":
            raise _bad("message can't be edited")
        return msg

    def _format(self, raw: Any, params: JSON, *, caption: bool) -> tuple[str, str, list[JSON], str | None]:
        """Apply parse_mode and the length limits; return (plain text, raw text, entities, parse_mode)."""
        raw = "" if raw is None else str(raw)
        mode = params.get("parse_mode") or None
        given = params.get("caption_entities" if caption else "entities") or []
        if mode is None:
            text, entities = raw, [dict(e) for e in given]
        elif mode.lower() == "html":
            text, entities = parse_html(raw, strict_ampersand=self.strict_ampersand)
        elif mode.lower() in ("markdown", "markdownv2"):
            text, entities = raw, []  # not emulated: stored as sent
        else:
            raise _bad(f"unsupported parse_mode {mode}")
        text, entities = _strip_text(text, entities)
        if not text and not caption:
            raise _bad("message text is empty")
        if len(text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
            raise _bad("message caption is too long" if caption else "message is too long")
        return text, raw, entities, mode

    def _commands_key(self, scope: JSON | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # ------------------------------------------------------------------ internals: HTTP

    @staticmethod
    def _reply(status: int, body: JSON) -> web.Response:
        return web.json_response(body, status=status)

    @classmethod
    def _error(cls, exc: ApiError) -> web.Response:
        body: JSON = {"ok": False, "error_code": exc.status, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return cls._reply(exc.status, body)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return self._error(ApiError(404, "Not Found"))

    def _auth(self, prefix: str) -> None:
        if prefix != "bot" + self.token:
            # Telegram: 401 for a well-formed but wrong token, 404 for anything else.
            wellformed = prefix.startswith("bot") and _TOKEN_RE.fullmatch(prefix[3:])
            raise ApiError(401, "Unauthorized") if wellformed else ApiError(404, "Not Found")

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise _bad("can't parse JSON object") from exc
                if not isinstance(body, dict):
                    raise _bad("JSON object expected")
                params.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        value = Upload(value.filename, value.content_type, value.file.read())
                    params[key] = value
        return _coerce(params)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            self._auth(request.match_info["prefix"])
            params = await self._read_params(request)
        except ApiError as exc:
            return self._error(exc)
        shown = {
            k: ({"upload": v.filename, "size": len(v.data)} if isinstance(v, Upload) else v) for k, v in params.items()
        }
        call: JSON = {
            "method": method,
            "params": copy.deepcopy(shown),
            "time": time.monotonic(),
            "status": None,
            "description": None,
        }
        with self._lock:
            self._calls.append(call)
        try:
            handler = getattr(self, "_m_" + method.lower(), None) if method.isalpha() else None
            if handler is None:
                raise ApiError(404, "Not Found")
            delay = self._take(self._slows, method, params)
            if delay is not None and self._stopping is not None:
                with contextlib.suppress(asyncio.TimeoutError):  # stop() cuts the delay short
                    await asyncio.wait_for(self._stopping.wait(), delay.seconds)
            fault = self._take(self._faults, method, params)
            if fault is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            garbled = self._take(self._garbles, method, params)
            if garbled is not None and isinstance(result, dict):
                result = {**result, garbled.description: garbled.parameters["value"]}
            response = self._reply(200, {"ok": True, "result": result})
            status, description = 200, None
        except ApiError as exc:
            response, status, description = self._error(exc), exc.status, exc.description
        with self._lock:
            call["status"], call["description"] = status, description
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        try:
            self._auth(request.match_info["prefix"])
        except ApiError as exc:
            return self._error(exc)
        with self._lock:
            stored = self._files.get(request.match_info["path"].removeprefix("files/"))
        if stored is None:
            return self._error(ApiError(404, "Not Found"))
        return web.Response(body=stored["data"], content_type=stored["mime_type"])

    # ------------------------------------------------------------------ Bot API methods
    # One _m_<lower-case method name> per method; they run on the emulator's loop and raise ApiError.

    def _m_getme(self, p: JSON) -> JSON:
        return {**self.bot_user, **_BOT_CAPABILITIES}

    async def _m_getupdates(self, p: JSON) -> list[JSON]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        with self._lock:
            if "allowed_updates" in p:  # the setting sticks until the next call that passes it
                self._allowed = set(p["allowed_updates"] or ()) or None
            offset = p.get("offset")
            if offset is not None and offset < 0:  # -N: keep the last N, forget the rest
                self._updates = self._updates[offset:]
            elif offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        # A newer poll terminates the older one with 409, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_waiters()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT_POLL)
            with self._lock:
                allowed = self._allowed
                self._updates = [u for u in self._updates if self._wanted(u, allowed)]
                batch = copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or (self._stopping and self._stopping.is_set()):
                return batch
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, remaining)
            self._waiters.discard(waiter)

    @staticmethod
    def _wanted(update: JSON, allowed: set[str] | None) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind not in _OPT_IN_UPDATES if allowed is None else kind in allowed

    def _m_setwebhook(self, p: JSON) -> bool:
        with self._lock:
            self._webhook_url = str(p.get("url") or "")
            if p.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _m_deletewebhook(self, p: JSON) -> bool:
        return self._m_setwebhook({"url": "", "drop_pending_updates": p.get("drop_pending_updates")})

    def _m_getwebhookinfo(self, p: JSON) -> JSON:
        with self._lock:
            return {
                "url": self._webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _m_sendmessage(self, p: JSON) -> JSON:
        chat_id = self._chat(p)
        text, raw, entities, mode = self._format(p.get("text"), p, caption=False)
        markup = _check_markup(p.get("reply_markup"), inline_only=False)
        with self._lock:
            reply_to = self._reply_to(chat_id, p)
            msg = self._store(chat_id, "sendMessage", text, raw, mode, entities, reply_markup=markup, reply_to=reply_to)
            return self._message_json(msg)

    def _reply_to(self, chat_id: int, p: JSON) -> int | None:
        target = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        if target and (chat_id, target) not in self._messages:
            raise _bad("message to be replied not found")
        return target

    def _send_file(self, p: JSON, kind: str, method: str) -> JSON:
        chat_id = self._chat(p)
        text, raw, entities, mode = self._format(p.get("caption"), p, caption=True)
        markup = _check_markup(p.get("reply_markup"), inline_only=False)
        value = p.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value.removeprefix("attach://"))
        with self._lock:
            if isinstance(value, Upload):
                file_id = f"F{kind[:3].upper()}{len(self._files) + 1:06d}"
                self._files[file_id] = {
                    "data": value.data,
                    "file_name": value.filename,
                    "mime_type": value.content_type or "application/octet-stream",
                }
            elif isinstance(value, str) and (value in self._files or value.startswith(("http://", "https://"))):
                file_id = value if value in self._files else f"FURL{len(self._files) + 1:06d}"
                self._files.setdefault(
                    file_id,
                    {"data": b"", "file_name": value.rsplit("/", 1)[-1], "mime_type": "application/octet-stream"},
                )
            elif value is None:
                raise _bad(f"there is no {kind} in the request")
            else:
                raise _bad("wrong file identifier/HTTP URL specified")
            stored = self._files[file_id]
            base = {"file_id": file_id, "file_unique_id": "U" + file_id, "file_size": len(stored["data"])}
            if kind == "photo":
                media: Any = [{**base, "width": 90, "height": 90}, {**base, "width": 800, "height": 800}]
            else:
                media = {**base, "file_name": stored["file_name"], "mime_type": stored["mime_type"]}
            msg = self._store(chat_id, method, text, raw, mode, entities, reply_markup=markup, kind=kind, media=media)
            return self._message_json(msg)

    def _m_sendphoto(self, p: JSON) -> JSON:
        return self._send_file(p, "photo", "sendPhoto")

    def _m_senddocument(self, p: JSON) -> JSON:
        return self._send_file(p, "document", "sendDocument")

    def _m_getfile(self, p: JSON) -> JSON:
        with self._lock:
            stored = self._files.get(str(p.get("file_id")))
            if stored is None:
                raise _bad("invalid file_id")
            file_id = str(p["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": "U" + file_id,
                "file_size": len(stored["data"]),
                "file_path": f"files/{file_id}",
            }

    def _m_editmessagetext(self, p: JSON) -> JSON:
        text, raw, entities, mode = self._format(p.get("text"), p, caption=False)
        # Telegram drops an inline keyboard that is not passed again with the new text.
        markup = _check_markup(p.get("reply_markup"), inline_only=True)
        with self._lock:
            msg = self._bot_message(p, "edit")
            if msg.kind != "text":
                raise _bad("there is no text in the message to edit")
            if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
                raise _bad(_NOT_MODIFIED)
            msg.history.append(msg.raw)
            msg.text, msg.raw, msg.entities, msg.parse_mode, msg.reply_markup = (text, raw, entities, mode, markup)
            msg.edit_date = int(time.time())
            return self._message_json(msg)

    def _m_editmessagereplymarkup(self, p: JSON) -> JSON:
        markup = _check_markup(p.get("reply_markup"), inline_only=True)
        with self._lock:
            msg = self._bot_message(p, "edit")
            if markup == msg.reply_markup:
                raise _bad(_NOT_MODIFIED)
            msg.reply_markup, msg.edit_date = markup, int(time.time())
            return self._message_json(msg)

    def _m_deletemessage(self, p: JSON) -> bool:
        with self._lock:
            self._bot_message(p, "delete").deleted = True
        return True

    def _m_answercallbackquery(self, p: JSON) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        with self._lock:
            if self._queries.get(query_id, True):  # unknown or already answered
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            self._queries[query_id] = True
            self._answers.append({**p, "callback_query_id": query_id, "time": time.monotonic()})
        return True

    def _m_sendchataction(self, p: JSON) -> bool:
        self._chat(p)
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_setmycommands(self, p: JSON) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise _bad("command description is empty or too long")
        with self._lock:
            key = self._commands_key(p.get("scope"), p.get("language_code"))
            self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _m_getmycommands(self, p: JSON) -> list[JSON]:
        return self.commands_for(p.get("scope"), p.get("language_code") or "")

    def _m_deletemycommands(self, p: JSON) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(p.get("scope"), p.get("language_code")), None)
        return True

    def _m_getchat(self, p: JSON) -> JSON:
        chat_id = self._chat(p)
        with self._lock:
            info = {**self._chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11}
        return {**info, "accepted_gift_types": dict.fromkeys(_GIFT_TYPES, False)}

    def _member(self, chat_id: int, user_id: int) -> JSON:
        """ChatMember for a user in a chat (lock held)."""
        bot_id = self.bot_user["id"]
        user = self.bot_user if user_id == bot_id else self._users.get(user_id)
        if user is None:
            raise _bad("user not found")
        group = self._groups.get(chat_id)
        if group is None:  # private chat: the user and the bot are plain members
            status = "member" if user_id in (chat_id, bot_id) else "left"
        elif group["admins"] and user_id == group["admins"][0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        elif user_id in group["admins"] or (user_id == bot_id and group["bot_is_admin"]):
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        else:
            status = "member" if user_id in group["members"] or user_id == bot_id else "left"
        return {"status": status, "user": user}

    def _m_getchatmember(self, p: JSON) -> JSON:
        chat_id = self._chat(p)
        with self._lock:
            return copy.deepcopy(self._member(chat_id, int(p.get("user_id") or 0)))

    def _m_getchatadministrators(self, p: JSON) -> list[JSON]:
        chat_id = self._chat(p)
        with self._lock:
            group = self._groups.get(chat_id)
            if group is None:
                raise _bad("there are no administrators in the private chat")
            ids = list(group["admins"]) + ([self.bot_user["id"]] if group["bot_is_admin"] else [])
            return copy.deepcopy([self._member(chat_id, uid) for uid in ids])

    def _m_close(self, p: JSON) -> bool:
        return True

    def _m_logout(self, p: JSON) -> bool:
        return True
