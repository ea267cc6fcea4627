"""Excerpts: short, from the item's own sentences, decisive terms marked, never from clutter."""

from __future__ import annotations

import html

from test_clean import PAGE

from classifier.clean import clean
from classifier.excerpt import MAX_CHARS, excerpt


def test_excerpt_picks_the_topic_sentences_and_marks_terms():
    ex = excerpt(clean("Seoul confirms new deployment", PAGE))
    assert ex.text.startswith("South Korea's spy agency said 3,000 more North Korean soldiers")
    marked = [ex.text[s:e] for s, e in ex.marks]
    assert "North Korean" in marked and "Kursk" in marked
    assert ex.render(html.escape).count("<b>") == len(ex.marks)


def test_excerpt_is_at_most_280_characters_cut_at_a_word():
    long = "North Korean troops fought near Kursk " + "and advanced slowly through the frozen fields " * 20 + "."
    ex = excerpt(clean("t", long))
    assert len(ex.text) <= MAX_CHARS and ex.text.endswith("…")
    assert ex.text[:-1].rstrip() == ex.text[:-1] and long.startswith(ex.text[:-1])


def test_excerpt_never_repeats_a_sentence_and_falls_back_to_the_title():
    body = "Pyongyang sent shells to Russia. Pyongyang sent shells to Russia."
    assert excerpt(clean("t", body)).text == "Pyongyang sent shells to Russia."
    assert excerpt(clean("Kim meets Putin", "")).text == "Kim meets Putin"


def test_render_escapes_feed_text():
    ex = excerpt(clean("<script>", "North Korea & Russia <b>sign</b> a treaty."))
    rendered = ex.render(html.escape)
    assert "<b>sign</b>" not in rendered and "&amp;" in rendered and "&lt;b&gt;" in rendered
