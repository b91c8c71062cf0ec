"""What every page of a browser test is checked for, wherever the journey takes it.

`Tour` follows the pages a test opens in any number of tabs and, on each one, takes a full-page
screenshot, runs axe-core at WCAG 2.1 AA, and checks the language, the language toggle, that
nothing comes from another host and that the HTML has no inline script.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from babel.messages.pofile import read_po
from playwright.sync_api import BrowserContext, Locator, Page, Request, Response

from tests.browser.conftest import AXE
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CATALOGUE = (
    Path(__file__).resolve().parents[2] / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
)
#: Names that read the same in both languages (words French shares are found in its catalogue).
SAME_IN_BOTH = {"Guichet"}

#: Attributes through which HTML fetches or links to something; every one must stay on the site.
_URL_ATTRIBUTES = """() => {
  const attributes = {a: 'href', link: 'href', form: 'action', object: 'data'};
  const found = [];
  const selector = 'a[href], link[href], form[action], object[data], script[src], img[src], '
    + 'source[src], iframe[src], video[src], audio[src], embed[src]';
  for (const element of document.querySelectorAll(selector)) {
    const raw = element.getAttribute(attributes[element.localName] || 'src');
    found.push({tag: element.localName, raw: raw, url: new URL(raw, document.baseURI).href});
  }
  return found;
}"""
_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@functools.cache
def english_only_strings() -> re.Pattern[str]:
    """Every English string of the catalogue and of Toronto's packs (permits, agencies, questions,
    form fields, suggestions) that French says differently.

    Found on a French page, one of them is a string left untranslated.
    """
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    texts: set[str] = set()
    for message in catalogue:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        # The literal pieces between placeholders such as %(name)s.
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]", message.id):
            piece = piece.strip(" :,.()—-")
            if len(piece) >= 4 and piece not in message.string:
                texts.add(piece)
    chain = load_pack_set(read_pack_directory(bundled_pack_directory())).chains["3520005"]
    pack_texts = [
        text for permit in chain.permits for text in (permit.name, permit.description, permit.agency.name)
    ]
    pack_texts += [text for q in chain.questions for text in (q.text, q.help, *(c.label for c in q.choices))]
    pack_texts += [text for f in chain.fields.values() for text in (f.label, f.help)]
    pack_texts += [text for s in chain.suggestions for text in (s.name, s.description, s.provider)]
    texts |= {t.en for t in pack_texts if t is not None and t.en != t.fr and t.en not in t.fr}
    # Words French uses too ("File d'attente", "Description"): no sign of English on their own.
    french = "\n".join(m.string for m in catalogue if isinstance(m.string, str))
    texts = {t for t in texts - SAME_IN_BOTH if not re.search(rf"(?<!\w){re.escape(t)}(?!\w)", french)}
    ordered = sorted(texts, key=len, reverse=True)
    apostrophes = "'\u2019"  # "l'Agency" is not English
    return re.compile(
        rf"(?<![\w{apostrophes}])(?:" + "|".join(re.escape(t) for t in ordered) + rf")(?![\w{apostrophes}])"
    )


@dataclass
class Tour:
    """The pages of one test, across its tabs: numbered screenshots and the checks of every page."""

    base_url: str
    folder: Path
    language: str
    count: int = 0
    axe_runs: int = 0
    pages_seen: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    run_axe: bool = True
    #: For pages whose JavaScript is off (axe needs it): a tab on the same site where axe checks a
    #: copy of each page, styles included.
    axe_tab: Page | None = None

    def open(self, context: BrowserContext) -> Page:
        """A new tab whose every request and response is watched."""
        page = context.new_page()
        page.on("request", self._request)
        page.on("response", self._response)
        return page

    def _request(self, request: Request) -> None:
        if not (request.url.startswith(self.base_url + "/") or request.url.startswith("data:")):
            self.foreign_requests.append(request.url)

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def check(self, page: Page, name: str, *, axe: bool = True) -> None:
        """Every check a page of the journey must pass, and its screenshot under `name`."""
        page.wait_for_load_state("load")
        self.count += 1
        self.pages_seen.append(f"{self.count:02d}-{name} {page.url}")
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        assert not self.server_errors, self.server_errors
        assert not self.foreign_requests, f"{name}: fetched from another host: {self.foreign_requests}"
        assert page.evaluate("document.documentElement.lang") == self.language, f"{name}: <html lang>"
        self._no_inline_script_nor_foreign_url(page, name)
        self._language_toggle(page, name)
        if self.language == "fr":
            self._no_english(page, name)
        if axe and self.run_axe:
            self.axe(page, name)

    def _no_inline_script_nor_foreign_url(self, page: Page, name: str) -> None:
        inline = page.evaluate(
            "() => [...document.scripts].filter(s => !s.src).length"
            " + document.querySelectorAll('[onclick],[onload],[onsubmit],[onchange],[oninput]').length"
            " + document.querySelectorAll('a[href^=\"javascript:\"]').length"
        )
        assert inline == 0, f"{name}: inline script in the HTML"
        foreign = [u for u in page.evaluate(_URL_ATTRIBUTES) if not u["url"].startswith(self.base_url + "/")]
        assert not foreign, f"{name}: URLs off the site: {foreign}"

    def _language_toggle(self, page: Page, name: str) -> None:
        toggle = page.locator("nav.language a")
        assert toggle.count() == 1, f"{name}: no language toggle"
        other = "en" if self.language == "fr" else "fr"
        target = urlsplit(toggle.evaluate("a => a.href"))
        here = urlsplit(page.url)
        assert target.path == here.path, f"{name}: the toggle leaves the page ({target.path})"
        kept = {(k, v) for k, v in parse_qsl(here.query, keep_blank_values=True) if k != "lang"}
        *query, last = parse_qsl(target.query, keep_blank_values=True)
        assert kept <= set(query) and last == ("lang", other) and "lang" not in dict(query), (
            f"{name}: the toggle does not keep the page's query: {target.query!r} on {page.url}"
        )
        assert toggle.get_attribute("lang") == other and toggle.get_attribute("hreflang") == other

    def _no_english(self, page: Page, name: str) -> None:
        text = page.locator("body").inner_text()
        english = sorted(set(english_only_strings().findall(text)))
        assert not english, f"{name}: English left on a French page: {english}"

    def axe(self, page: Page, name: str) -> None:
        """axe-core at WCAG 2.0/2.1 A and AA: zero violations, each one printed if any."""
        if self.axe_tab is not None:  # JavaScript is off in `page`: check a copy where it is on
            html = page.content()
            page = self.axe_tab
            page.set_content(html)
        page.evaluate(_axe_source())
        violations = page.evaluate(_AXE_RUN, AXE_TAGS)
        self.axe_runs += 1
        assert not violations, (
            f"{name} ({page.url}): axe found {len(violations)} violation(s):\n"
            + "\n".join(
                f"- {v['id']} ({v['impact']}): {v['help']}\n"
                + "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
                for v in violations
            )
        )


def follow(page: Page, target: Locator) -> None:
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        target.click()
