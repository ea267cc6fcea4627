"""Clean: drop page clutter and split what is left into sentences, before anything is scored or excerpted.

News pages come with language switchers, breadcrumbs, share buttons, datelines, photo credits, ad markers,
cookie notices, the headline repeated, "read also" links and trailing lists of other headlines. A model that
sees them learns the outlet, not the topic; an excerpt cut from them is useless. Both the classifier and the
excerpt use this one cleaning stage, so they always agree on what the article says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A marker after which the rest of the line is a link to another story ("Read also: ...").
_READ_ALSO = (
    r"read (?:also|more)|see also|related(?: articles?| stories| coverage)?|also read|more on this|"
    r"leggi anche|leggi pure|approfondisci|potrebbe interessarti|correlati|"
    r"lee (?:también|tambien|más)|te puede interesar|relacionad[oa]s?|"
    r"lire aussi|à lire aussi|a lire aussi|voir aussi|sur le même sujet|"
    r"lesen sie auch|auch interessant|mehr zum thema|das könnte sie auch interessieren|"
    r"czytaj (?:też|także|również|więcej)|zobacz (?:też|także|również)|"
    r"читайте (?:также|також|еще|ещё)|читайте також|смотрите также|дивіться також|по теме|на тему|"
    r"관련\s?기사|함께 볼 기사|같이 보면 좋은 뉴스|추천 기사"
)
# A heading after which everything is a list of other headlines ("LE ULTIME NOTIZIE").
_TRAILING_LIST = (
    r"latest(?: news| stories| headlines)?|most read|top stories|more (?:news|stories|from)|trending(?: now)?|"
    r"ultime notizie|le ultime notizie|ultim'ora|più lett[ie]|in evidenza|"
    r"últimas noticias|lo más leído|más noticias|"
    r"les plus lus|dernières (?:infos|actualités|nouvelles)|à la une|"
    r"neueste (?:nachrichten|artikel)|meistgelesen|top-themen|weitere nachrichten|"
    r"najnowsze(?: wiadomości)?|najczęściej czytane|najważniejsze|"
    r"последние новости|самое читаемое|главное|новости по теме|"
    r"останні новини|найпопулярніше|головне|"
    r"많이 본 뉴스|최신 뉴스|주요 뉴스|인기 기사|실시간 뉴스"
)
_CLUTTER_LINE = re.compile(
    r"^(?:"
    r"(?:share|condividi|compartir|partager|teilen|udostępnij|поделиться|поділитися|공유)\b.*|"
    r".*\b(?:facebook|twitter|whatsapp|telegram|linkedin|e-?mail|copy link|copia link|x\.com)\b"
    r"(?:\W+(?:facebook|twitter|whatsapp|telegram|linkedin|e-?mail|x|copy link|copia link|print|stampa))+\W*|"
    r"(?:advertisement|advertising|sponsored|pubblicità|publicidad|publicité|anzeige|werbung|reklama|реклама|광고)\W*|"
    r".*\bcookies?\b.*|"
    r"(?:photo|foto|fotó|фото|사진|image|bild|immagine|credit|crédit|zdjęcie|caption|didascalia)\s*(?:credit|caption)?\s*[:©/].*|"
    r"(?:©|\(c\)).*|"
    r".*\b(?:min(?:ute)?s? read|min di lettura|min de lectura|min de lecture|min lesezeit|min czytania)\b.*|"
    r"(?:published|updated|posted|last updated|pubblicato|aggiornato|publicado|actualizado|publié|mis à jour|"
    r"veröffentlicht|aktualisiert|stand|opublikowano|aktualizacja|zaktualizowano|опубликовано|обновлено|"
    r"опубліковано|оновлено|입력|수정|기사입력|등록)\b.*|"
    r"(?:by|di|de|par|von|autor|автор|від|기자)\s+[\w.'’ -]{2,40}|"
    r"(?:subscribe|iscriviti|suscríbete|abonnez-vous|abonnieren|zapisz się|подпишитесь|підпишіться|구독).*|"
    r"(?:newsletter|comments?|commenti|comentarios|commentaires|kommentare|komentarze|комментари\w*|коментар\w*|댓글)"
    r"\W*\d*.*|"
    r"(?:home|homepage|inicio|accueil|startseite|strona główna|главная|головна|홈)\s*[›»>/|].*|"
    r"[\w .'-]{1,30}(?:\s*[›»>]\s*[\w .'-]{1,30}){1,}|"
    r"(?:[A-Za-z]{2,3}|[А-Яа-яІіЇї]{2,3})(?:\s*[|/·]\s*(?:[A-Za-z]{2,3}|[А-Яа-яІіЇї]{2,3})){1,}"
    r")$",
    re.IGNORECASE,
)
_READ_ALSO_RE = re.compile(rf"(?:^|(?<=[\s.!?»”\"|]))(?:{_READ_ALSO})\s*[:：»›>\-–—]", re.IGNORECASE)
_TRAILING_RE = re.compile(rf"^\W*(?:{_TRAILING_LIST}|{_READ_ALSO})\W*$", re.IGNORECASE)
_TRAILING_INLINE_RE = re.compile(rf"(?:^|(?<=[\s.!?]))(?:{_TRAILING_LIST})\s*[:：]", re.IGNORECASE)
_INLINE_CLUTTER = re.compile(
    r"\s*(?:[\w ]{2,20}\s*›\s*[\w ]{2,20}(?:\s*\|\s*(?:aggiornato|updated|actualizado|mis à jour|aktualisiert)"
    r"[^.]*)?$|\|\s*(?:aggiornato|updated|actualizado|mis à jour|aktualisiert|обновлено|оновлено)[^.]*$)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?。…])[\"'»”)\]]*\s+(?=[\"'«“(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ0-9가-힣])|(?<=다\.)\s+")
_WS = re.compile(r"\s+")
# Latin and Greek letters that look Cyrillic, as found inside Cyrillic words (typos, OCR, filter evasion).
_TO_CYRILLIC = str.maketrans(
    "aceopxykmtiAСEOPXYKMTIBHοκαερτυχΟΚΑΕΡΤΥΧΒΗΜ", "асеорхукмтіАСЕОРХУКМТІВНокаертухОКАЕРТУХВНМ"
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_MIXED_WORD = re.compile(r"\w*[\u0400-\u04ff]\w*[a-zA-Z\u0370-\u03ff]\w*|\w*[a-zA-Z\u0370-\u03ff]\w*[\u0400-\u04ff]\w*")


_TO_LATIN = str.maketrans("асеорхукмтіАСЕОРХУКМТІВН", "aceopxykmtiACEOPXYKMTIBH")


def _unmix(word: str) -> str:
    cyrillic = sum(1 for c in word if "\u0400" <= c <= "\u04ff")
    others = sum(1 for c in word if c.isalpha()) - cyrillic
    return word.translate(_TO_CYRILLIC) if cyrillic >= others else word.translate(_TO_LATIN)


def unmix_scripts(text: str) -> str:
    """Repair words that mix lookalike Latin, Greek and Cyrillic letters (typos, OCR, filter evasion),
    turning them into the script most of the word is written in: "Рοссии" -> "России", "Nоrdkorea" -> "Nordkorea".
    """
    if not _CYRILLIC.search(text):
        return text
    return _MIXED_WORD.sub(lambda m: _unmix(m.group()), text)


@dataclass(frozen=True)
class Document:
    """A text ready for scoring: its title and its body's sentences, clutter gone.

    title: the headline, as given.
    sentences: the body's sentences in order, none repeated, none from clutter.
    """

    title: str
    sentences: tuple[str, ...]

    @property
    def body(self) -> str:
        return " ".join(self.sentences)

    @property
    def lead(self) -> tuple[str, ...]:
        return self.sentences[:2]


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\W+", " ", text).strip()


def is_clutter(segment: str) -> bool:
    """Whether a line or a piece of one is page furniture rather than article text.

    Only short pieces can be furniture: a long sentence that mentions cookies is still a sentence.
    """
    segment = segment.strip()
    if not segment:
        return True
    words = segment.split()
    has_hangul = bool(re.search("[가-힣]", segment))
    if len(words) > 25 or len(segment) > 220:
        return False
    if _CLUTTER_LINE.match(segment.rstrip(" .")):
        return True
    # Navigation and section labels: a few words with no sentence punctuation. Korean packs more per word.
    short = len(segment) < 25 if has_hangul else len(words) <= 4
    if short and not re.search(r"[.!?。…:;]$", segment) and not re.search(r"\d{3,}", segment):
        return True
    # Datelines and time stamps: "July 12, 2025, 19:05", "CUPERTINO, California, Sept 9 —".
    if len(words) <= 8 and not re.search(r"[.!?。…]$", segment):
        digits = sum(c.isdigit() for c in segment)
        if segment.endswith(("—", "–", "-")) or digits >= 0.2 * len(segment.replace(" ", "")):
            return True
    return False


def split_sentences(text: str) -> list[str]:
    parts = _SENTENCE_END.split(text)
    return [p.strip() for p in parts if p and p.strip()]


_MARKER_CHARS = re.compile("[»›>–—]|\\s-")
_SEPARATORS = re.compile(r"\s+[|·•]\s+")
_SOCIAL = (
    r"(?:facebook|twitter|x|whatsapp|telegram|linkedin|e-?mail|copy link|copia link|print|stampa|flipboard|reddit)"
)
# Furniture that flattened pages carry inside a line; each is replaced by a separator.
_INLINE_FURNITURE = re.compile(
    r"(?i:(?:\b(?:share|condividi|compartir|partager|teilen|udostępnij)(?:\s+(?:on|su|en|sur|auf|this|article))*\s+)?"
    rf"\b{_SOCIAL}(?:[\s,|/]+{_SOCIAL}\b)+)"
    r"|(?i:\b(?:published|updated|posted|pubblicato|aggiornato|publicado|actualizado|publié|mis à jour|veröffentlicht|"
    r"aktualisiert|opublikowano|zaktualizowano|опубликовано|обновлено|опубліковано|оновлено|입력|수정)"
    r"(?:\s+(?:at|on|alle|il|a las|à|um|о|в|o))?\s*:?\s*(?:\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s*)?\d{1,2}[:.]\d{2}\b)"
    r"|\b[A-Z]{2}(?:\s*[|/]\s*[A-Z]{2})+\b"
    r"|[\w'’-]+(?:\s+[\w'’-]+)?(?:\s*[›»]\s*[\w'’-]+(?:\s+[\w'’-]+)?)+"
    r"|\b(?:ADVERTISEMENT|ADVERTISING|PUBBLICITÀ|PUBLICIDAD|PUBLICITÉ|ANZEIGE|REKLAMA|РЕКЛАМА)\b"
    r"|(?i:\b(?:photo|foto|фото|bild|image))\s*:\s*[\w /.-]{2,40}?(?=\s+[A-ZА-Я]|$)",
)
_TRAILING_ANYWHERE = re.compile(
    r"(?:(?<=[.!?»”\"])\s+|\s+(?=[A-ZÀ-ÖА-Я]{4,}))"
    r"(?:latest news|latest stories|most read|top stories|more news|ultime notizie|le ultime notizie|"
    r"últimas noticias|lo más leído|les plus lus|dernières infos|meistgelesen|neueste nachrichten|najnowsze|"
    r"последние новости|останні новини)\b.*$",
    re.IGNORECASE,
)


# A cheap test that tells whether the costly patterns above can match at all (most RSS text is clean).
_FURNITURE_HINT = re.compile(
    r"[›»|·•]|\d[:.]\d\d|[A-Z]{2}\s*/\s*[A-Z]{2}|facebook|twitter|whatsapp|telegram|linkedin|e-?mail|copy link|"
    r"copia link|ADVERT|PUBBLICIT|PUBLICI|ANZEIGE|REKLAMA|РЕКЛАМА|photo|foto|фото|bild|image",
    re.IGNORECASE,
)
_TRAILING_HINT = re.compile(
    r"latest|most read|top stories|more news|ultime|últimas|lo más|plus lus|dernières|meistgelesen|neueste|"
    r"najnowsze|последние|останні",
    re.IGNORECASE,
)


def _strip_inline(line: str, title: str) -> str:
    if len(title) > 20:
        line = line.replace(title, " | ")  # the headline repeated inside the body
    if _TRAILING_HINT.search(line):
        line = _TRAILING_ANYWHERE.sub("", line)
    if _FURNITURE_HINT.search(line):
        line = _INLINE_FURNITURE.sub(" | ", line)
    return line


def _segments(line: str) -> list[str]:
    """A line cut into sentences, and sentences cut at the separators flattened pages use between widgets."""
    out = []
    for sentence in split_sentences(line):
        out.extend(p.strip(" |") for p in _SEPARATORS.split(sentence) if p.strip(" |"))
    return out


def clean(title: str, body: str) -> Document:
    """Drop clutter from ``body``, split it into sentences, and drop repeats (including the title).

    Works on bodies with one paragraph per line and on pages flattened to a single line alike.
    """
    title = unmix_scripts(_WS.sub(" ", title or "").strip())
    body = unmix_scripts(body or "")
    seen = {_key(title)} if title else set()
    sentences: list[str] = []
    for raw_line in body.replace("\r", "\n").split("\n"):
        line = _WS.sub(" ", raw_line).strip()
        if not line:
            continue
        if _TRAILING_RE.match(line):
            break  # everything after "Latest news" is other stories
        for segment in _segments(_strip_inline(line, title)):
            if _TRAILING_RE.match(segment):
                return Document(title, tuple(sentences))
            has_colon = ":" in segment or "：" in segment
            m = _TRAILING_INLINE_RE.search(segment) if has_colon else None
            ends_here = m is not None
            if m:
                segment = segment[: m.start()].strip()
            m = _READ_ALSO_RE.search(segment) if has_colon or _MARKER_CHARS.search(segment) else None
            if m:
                segment = segment[: m.start()].strip()
            if "›" in segment or "|" in segment:
                segment = _INLINE_CLUTTER.sub("", segment).strip()
            if segment and not is_clutter(segment):
                k = _key(segment)
                if k and k not in seen and not any(k in s for s in seen if len(k) > 40):
                    seen.add(k)
                    sentences.append(segment)
            if ends_here:
                return Document(title, tuple(sentences))
    return Document(title, tuple(sentences))
