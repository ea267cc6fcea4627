"""Render search results: one page of matches as one Telegram message, with the buttons that page through them
and switch between every item and only the flagged ones. Pure, like ``render``."""

from __future__ import annotations

from bot.deliver.render import LIMIT, Keyboard, _fit, esc
from bot.texts import t
from bot.types import Found, SearchPage

SEARCH_PAGE = 6  # results a page: each entry is kept to a sixth of a message, so a page is always one message


def _found_entry(f: Found, lang: str) -> str:
    title = f.title or f.source
    title = esc(title if len(title) <= 200 else title[:199] + "…")
    if f.link and len(f.link) <= 400:  # an absurd address is not worth a sixth of the message
        title = f'<a href="{esc(f.link)}">{title}</a>'
    score = "–" if f.score is None else f"{f.score:.2f}" + (" ✓" if f.relevant else "")
    meta = f"{esc(f.source)} · {f.published:%Y-%m-%d %H:%M} UTC · {esc(f.language.upper())} · {score}"
    lines = [f"• {title}", meta]
    if f.snippet.text and f.snippet.text != f.title:
        lines.append(f"<i>{f.snippet.render(esc)}</i>")
    return _fit("\n".join(lines), (LIMIT - 400) // SEARCH_PAGE)


def search_html(page: SearchPage, lang: str) -> tuple[str, Keyboard]:
    """/search: one page of results, newest first, in one message; buttons to page and to show only the
    flagged items (or every item again)."""
    words = esc(page.words if len(page.words) <= 100 else page.words[:99] + "…")
    if not page.found:
        return t(lang, "search_none_relevant" if page.relevant_only else "search_none", words=words), (
            [[(t(lang, "btn_search_all"), f"srch:{page.search_id}:0:0")]] if page.relevant_only else []
        )
    first, last = page.offset + 1, page.offset + len(page.found)
    header = t(lang, "search_header", words=words, first=first, last=last, total=page.total)
    if page.relevant_only:
        header += " " + t(lang, "search_flagged_only")
    body = "\n\n".join([header, *(_found_entry(f, lang) for f in page.found)])
    rel = int(page.relevant_only)
    nav = []
    if page.offset > 0:
        nav.append((t(lang, "btn_newer"), f"srch:{page.search_id}:{max(0, page.offset - SEARCH_PAGE)}:{rel}"))
    if last < page.total:
        nav.append((t(lang, "btn_older"), f"srch:{page.search_id}:{last}:{rel}"))
    scope = ("btn_search_all", 0) if page.relevant_only else ("btn_search_flagged", 1)
    keyboard: Keyboard = [nav] if nav else []
    if page.search_id:
        keyboard.append([(t(lang, scope[0]), f"srch:{page.search_id}:0:{scope[1]}")])
    return _fit(body), keyboard if page.search_id else []
