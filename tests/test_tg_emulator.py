"""The Telegram emulator driven by the real python-telegram-bot client over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from tg_emulator import TelegramEmulator, parse_html

pytestmark = pytest.mark.e2e

TOKEN = "123456:TEST-token"
ALICE, BOB, GROUP = 1001, 1002, -100500


def make_bot(emu: TelegramEmulator, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=emu.url + "/bot", base_file_url=emu.url + "/file/bot")


@pytest.fixture
async def emu():
    async with TelegramEmulator(token=TOKEN, bot_username="ties_test_bot") as emulator:
        emulator.add_user(ALICE, first_name="Alice", language_code="it")
        emulator.add_user(BOB, first_name="Bob")
        emulator.add_group(GROUP, "Watchers", admins=[ALICE], type="supergroup")
        yield emulator


@pytest.fixture
async def bot(emu):
    async with make_bot(emu) as b:
        yield b


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in pairs]])


async def test_get_me(bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.can_join_groups) == (123456, True, "ties_test_bot", True)


async def test_send_message_html_and_keyboard_round_trip(emu, bot):
    html = '<b>Alert</b> &amp; <a href="https://example.org/x">source</a> <code>a&lt;b</code>'
    msg = await bot.send_message(ALICE, html, parse_mode=ParseMode.HTML, reply_markup=keyboard(("Mute", "mute:7")))
    assert msg.text == "Alert & source a<b"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 0, 5),
        ("text_link", 8, 6),
        ("code", 15, 3),
    ]
    assert msg.entities[1].url == "https://example.org/x"
    assert msg.from_user.is_bot and msg.chat.type == "private"
    assert abs(msg.date.timestamp() - time.time()) < 5  # Unix seconds, not milliseconds
    assert msg.reply_markup.inline_keyboard[0][0].callback_data == "mute:7"
    second = await bot.send_message(ALICE, "plain")
    assert second.message_id == msg.message_id + 1  # ids grow per chat

    [record, _] = emu.sent(ALICE)
    assert record["text"] == "Alert & source a<b" and record["html"] == html
    assert record["parse_mode"] == "HTML" and record["method"] == "sendMessage" and not record["edited"]
    assert record["reply_markup"]["inline_keyboard"][0][0] == {"text": "Mute", "callback_data": "mute:7"}
    assert emu.calls("sendMessage")[0]["params"]["chat_id"] == ALICE


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Ü <br/>", 'Unsupported start tag "br/" at byte offset 3'),  # byte offsets, like TDLib
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("AT&T", 'Character "&" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ],
)
async def test_invalid_html_is_rejected(emu, bot, text, error):
    with pytest.raises(BadRequest, match="(?i)can't parse entities") as exc:
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert error.lower() in str(exc.value).lower()  # python-telegram-bot lower-cases all but the first letter
    assert emu.sent() == []


def test_html_parser_details():
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre> &#128512;&quot;')
    assert text == 'x = 1 😀"'
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    text, entities = parse_html("😀 <tg-spoiler>s</tg-spoiler><blockquote expandable>q</blockquote>")
    assert [(e["type"], e["offset"]) for e in entities] == [("spoiler", 3), ("expandable_blockquote", 4)]
    assert parse_html("AT&T", strict_ampersand=False)[0] == "AT&T"  # what real Telegram does


async def test_length_limits_count_text_after_parsing(emu, bot):
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(ALICE, "a" * 4097)
    await bot.send_message(ALICE, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(ALICE, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(ALICE, b"\x89PNG", caption="c" * 1025)
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "x", reply_markup=keyboard(("Too long", "d" * 65)))
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "nobody")
    assert len(emu.sent()) == 1


async def test_forbidden_for_one_chat_only(emu, bot):
    emu.fail("sendMessage", chat_id=ALICE, status=403, description="Forbidden: bot was blocked by the user", times=None)
    for _ in range(2):
        with pytest.raises(Forbidden, match="(?i)blocked by the user"):
            await bot.send_message(ALICE, "hello")
    await bot.send_message(BOB, "hello")
    assert [m["chat_id"] for m in emu.sent()] == [BOB]
    assert [c["status"] for c in emu.calls("sendMessage")] == [403, 403, 200]


# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_retry_after_then_success(emu, bot):
    emu.fail("sendMessage", status=429, retry_after=2, times=1)
    with pytest.raises(RetryAfter) as exc:
        await bot.send_message(ALICE, "x")
    assert exc.value.retry_after in (2, dtm.timedelta(seconds=2))
    await bot.send_message(ALICE, "x")
    assert len(emu.sent()) == 1


async def test_bad_gateway_twice_and_slow_calls(emu, bot):
    emu.fail("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ALICE, "x")
    emu.slow("sendChatAction", seconds=0.3)
    started = time.monotonic()
    assert await bot.send_chat_action(ALICE, "typing")
    assert time.monotonic() - started >= 0.3
    emu.clear_faults()
    await bot.send_message(ALICE, "x")


async def test_a_garbled_answer_fails_the_client_after_the_message_went_out(emu, bot):
    emu.garble("sendMessage", chat_id=BOB, field="date", value="soon")
    await bot.send_message(ALICE, "to Alice")  # another chat's answer is left alone
    with pytest.raises(TypeError):
        await bot.send_message(BOB, "to Bob")
    assert [m["text"] for m in emu.sent(BOB)] == ["to Bob"]  # it was sent all the same
    await bot.send_message(BOB, "again")  # times=1: the next answer is whole


async def test_raw_http_contract(emu):
    api = f"{emu.url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/sendMessage", json={"chat_id": ALICE, "text": "json"}) as r:
            assert r.status == 200 and (await r.json())["result"]["text"] == "json"
        async with http.get(f"{api}/sendMessage", params={"chat_id": str(BOB), "text": "query"}) as r:
            assert r.status == 200 and (await r.json())["result"]["chat"]["id"] == BOB
        async with http.post(f"{api}/sendMessage", data={"chat_id": str(BOB), "text": ""}) as r:
            body = await r.json()
            assert r.status == 400 and body == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{emu.url}/bot999:WRONG/getMe") as r:
            assert r.status == 401 and (await r.json())["description"] == "Unauthorized"
        async with http.get(f"{api}/noSuchMethod") as r:
            assert r.status == 404 and (await r.json())["description"] == "Not Found"
        emu.fail("getMe", status=429, retry_after=3)
        async with http.get(f"{api}/getMe") as r:
            assert r.status == 429 and (await r.json())["parameters"] == {"retry_after": 3}
    assert [m["text"] for m in emu.sent()] == ["json", "query"]


async def test_wrong_token_and_unknown_method_through_ptb(emu, bot):
    with pytest.raises(InvalidToken):
        async with make_bot(emu, token="999:WRONG") as other:
            await other.get_me()
    with pytest.raises(Exception, match="not found"):
        await bot.do_api_request("noSuchMethod")


async def test_get_updates_offset_limit_and_long_poll(emu, bot):
    for text in ("one", "two", "three"):
        emu.send_text(ALICE, text)
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["one", "two", "three"]
    assert len(await bot.get_updates(timeout=0)) == 3  # not confirmed yet: delivered again
    assert len(await bot.get_updates(timeout=0, limit=2)) == 2
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()
    assert emu.pending_updates() == []

    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()  # a real long poll: waits the full timeout
    assert time.monotonic() - started >= 0.9

    asyncio.get_running_loop().call_later(0.2, emu.send_text, BOB, "wake up")
    started = time.monotonic()
    [update] = await bot.get_updates(timeout=5)  # answered as soon as the update arrives
    assert update.message.text == "wake up" and time.monotonic() - started < 2


async def test_allowed_updates_and_conflict(emu, bot):
    emu.send_text(ALICE, "dropped")
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()
    emu.send_text(ALICE, "kept")
    [update] = await bot.get_updates(timeout=0, allowed_updates=[])
    assert update.message.text == "kept"

    # A second bot instance polling at the same time cuts the first long poll short with 409.
    async with make_bot(emu) as first_instance:
        slow_poll = asyncio.create_task(first_instance.get_updates(offset=update.update_id + 1, timeout=3))
        await asyncio.sleep(0.2)
        assert await bot.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
            await slow_poll


async def test_edit_delete_and_keyboard_rules(emu, bot):
    msg = await bot.send_message(ALICE, "v1", reply_markup=keyboard(("A", "a")))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("v1", ALICE, msg.message_id, reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text("<i>v2</i>", ALICE, msg.message_id, parse_mode=ParseMode.HTML)
    assert edited.text == "v2" and edited.edit_date is not None
    [record] = emu.sent()
    assert record["edited"] and record["history"] == ["v1"]
    assert record["reply_markup"] is None  # Telegram drops a keyboard not sent again with the edit
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(ALICE, msg.message_id, "a")
    await bot.edit_message_reply_markup(ALICE, msg.message_id, reply_markup=keyboard(("B", "b")))
    assert await bot.delete_message(ALICE, msg.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(ALICE, msg.message_id)
    assert emu.sent()[0]["deleted"]


async def test_files_commands_and_chats(emu, bot):
    photo = await bot.send_photo(ALICE, b"\x89PNG-data", caption="<b>chart</b>", parse_mode=ParseMode.HTML)
    assert photo.caption == "chart" and photo.photo[-1].file_size == 9
    doc = await bot.send_document(GROUP, b"a,b\n1,2\n", filename="report.csv")
    assert doc.document.file_name == "report.csv"
    file = await bot.get_file(doc.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"a,b\n1,2\n")
    assert [(m["method"], m["kind"]) for m in emu.sent()] == [("sendPhoto", "photo"), ("sendDocument", "document")]

    await bot.set_my_commands([("start", "Start"), ("mute", "Mute a topic")])
    assert emu.commands == [
        {"command": "start", "description": "Start"},
        {"command": "mute", "description": "Mute a topic"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "mute"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])

    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("supergroup", "Watchers")
    [owner] = await bot.get_chat_administrators(GROUP)
    assert owner.status == "creator" and owner.user.id == ALICE
    assert (await bot.get_chat_member(GROUP, BOB)).status == "left"
    emu.send_text(GROUP, "hi", user_id=BOB)
    assert (await bot.get_chat_member(GROUP, BOB)).status == "member"
    assert await bot.close() and await bot.log_out()


async def test_application_long_polling_commands_and_buttons(emu):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        name = update.effective_user.first_name
        await update.message.reply_text(
            f"Welcome <b>{name}</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard(("Yes", "y"), ("No", "n"))
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("noted")
        await update.callback_query.edit_message_text(f"You chose {update.callback_query.data}")

    app = Application.builder().token(TOKEN).base_url(emu.url + "/bot").base_file_url(emu.url + "/file/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            emu.send_text(ALICE, "/start")
            welcome = await emu.await_for(lambda sent: [m for m in sent if m["text"] == "Welcome Alice"], timeout=5)
            assert welcome[0]["html"] == "Welcome <b>Alice</b>"

            emu.press_button(ALICE, welcome[0]["message_id"], "n")
            await emu.await_for(lambda sent: sent[0]["text"] == "You chose n", timeout=5)
            [answer] = emu.callback_answers
            assert answer["text"] == "noted"

            emu.send_text(GROUP, "/start@ties_test_bot", user_id=ALICE)  # addressed command in a group
            await emu.await_for(lambda sent: emu.sent(GROUP), timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.pending_updates() == []  # the updater confirmed everything on shutdown
    methods = {c["method"] for c in emu.calls()}
    assert {"getMe", "deleteWebhook", "getUpdates", "answerCallbackQuery", "editMessageText"} <= methods


async def test_await_for_timeout_dumps_what_was_sent(emu, bot):
    await bot.send_message(ALICE, "something else", reply_markup=keyboard(("A", "a")))
    with pytest.raises(AssertionError, match=r"(?s)never.*something else.*buttons=\[\['a'\]\].*sendMessage -> 200"):

        def never(sent):
            return False

        await emu.await_for(never, timeout=0.1)
    with pytest.raises(RuntimeError, match="await emu.await_for"):  # a sync wait would starve the server
        emu.wait_for(never, timeout=0.1)


def test_thread_mode_from_a_sync_test():
    emu = TelegramEmulator(token=TOKEN)
    emu.start_in_thread()
    try:
        emu.add_user(ALICE, "Alice")

        async def bot_side() -> None:  # a bot on a different loop in a different thread
            async with make_bot(emu) as bot:
                [update] = await bot.get_updates(timeout=5)
                await bot.send_message(update.message.chat_id, f"echo {update.message.text}")

        worker = threading.Thread(target=asyncio.run, args=(bot_side(),))
        worker.start()
        time.sleep(0.2)
        emu.send_text(ALICE, "ping")
        [echo] = emu.wait_for(lambda sent: sent, timeout=5)
        worker.join(5)
        assert echo["text"] == "echo ping"

        # User-side calls from many threads at once: every update arrives once, ids stay unique.
        writers = [threading.Thread(target=lambda: [emu.send_text(ALICE, "x") for _ in range(25)]) for _ in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        pending = emu.pending_updates()  # "ping" is still there: the bot never confirmed it with an offset
        assert [u["message"]["text"] for u in pending] == ["ping"] + ["x"] * 100
        assert len({u["update_id"] for u in pending}) == len({u["message"]["message_id"] for u in pending}) == 101
    finally:
        emu.stop_thread()


def test_sync_context_manager_and_wait_for_timeout():
    with TelegramEmulator(token=TOKEN) as emu, pytest.raises(AssertionError, match="bot sent 0 message"):
        emu.wait_for(lambda sent: sent, timeout=0.1)
