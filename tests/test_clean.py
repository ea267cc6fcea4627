"""Cleaning: what the model and the excerpts see of a page."""

from __future__ import annotations

from classifier.clean import clean, is_clutter, unmix_scripts

PAGE = """Home › World › Asia
EN | IT | DE
Seoul confirms new deployment
By Staff reporter
Published 12:04 | Updated 14:30
Share on Facebook Twitter WhatsApp Copy link
Seoul confirms new deployment
South Korea's spy agency said 3,000 more North Korean soldiers reached the Kursk region in the past month.
Photo: AFP/KCNA
ADVERTISEMENT
The agency said the troops were being trained to operate drones. Read also: Markets rally as inflation cools
We use cookies to improve your experience.
South Korea's spy agency said 3,000 more North Korean soldiers reached the Kursk region in the past month.
Latest news
Football: Italy beat Spain 2-1
Weather: storms in the north
"""


def test_page_clutter_is_dropped_and_the_story_kept():
    doc = clean("Seoul confirms new deployment", PAGE)
    assert doc.sentences == (
        "South Korea's spy agency said 3,000 more North Korean soldiers reached the Kursk region in the past month.",
        "The agency said the troops were being trained to operate drones.",
    )


def test_a_page_flattened_to_one_line_is_cleaned_too():
    flat = " ".join(line for line in PAGE.splitlines())
    doc = clean("Seoul confirms new deployment", flat)
    text = " ".join(doc.sentences)
    assert "3,000 more North Korean soldiers" in text
    assert "Markets rally" not in text and "Italy beat Spain" not in text and "cookies" not in text
    assert text.count("3,000 more") == 1


def test_long_sentences_are_never_clutter_even_with_clutter_words():
    sentence = (
        "The ministry said that the published figures on shells shipped to Russia, shared with allies, "
        "were updated after the photo analysis of containers at Rajin port in September."
    )
    assert not is_clutter(sentence)


def test_lookalike_letters_inside_cyrillic_words_are_repaired():
    assert unmix_scripts("военнοе сотрудничество Рοссии и ΚНДР") == "военное сотрудничество России и КНДР"
    assert unmix_scripts("Pyongyang and Moscow") == "Pyongyang and Moscow"
