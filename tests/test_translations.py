"""Every user-facing string of the web layer has a French translation."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

APP = Path(__file__).resolve().parent.parent / "app"
CATALOGUE = APP / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def extracted_messages() -> set:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(APP), method_map=method_map, keywords=keywords
        )
    }


def test_every_message_in_the_code_has_a_french_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {}
    for message in catalogue:
        if message.id and not message.fuzzy:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                translated[message.id] = strings
    in_code = extracted_messages()
    assert len(in_code) > 30  # the extraction really found the templates and views
    missing = sorted(str(m) for m in in_code if m not in translated)
    assert missing == [], "run `make extract-messages` and translate these"


def test_placeholders_survive_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for placeholder in ("%(place)s", "%(reference)s", "%(num)d"):
            if placeholder in ids[0]:
                assert all(placeholder in s for s in strings), message.id
