import re

from casebook.messages import messages, t


def test_every_message_has_dutch_and_english_with_the_same_placeholders():
    for key, texts in messages().items():
        assert set(texts) == {"nl", "en"}, key
        assert set(re.findall(r"{(\w+)}", texts["nl"])) == set(re.findall(r"{(\w+)}", texts["en"])), key


def test_dutch_is_the_default(monkeypatch):
    assert t("browse.open") == "Openen"
    monkeypatch.setenv("CASEBOOK_LANGUAGE", "en")
    assert t("browse.open") == "Open"
    assert t("browse.open", "nl") == "Openen"
    assert t("browse.open", "fr") == "Openen"  # unknown languages fall back to Dutch
