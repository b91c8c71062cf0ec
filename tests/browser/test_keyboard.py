"""The triage and the application form completed with the keyboard only: Tab, arrows, Space, Enter
and typing, never a click; every element that takes focus shows it."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveServer
from tests.browser.journey import APPLICANT_NAME, form_value, triage_answers
from tests.browser.pages import Tour
from tests.browser.steps import FORM_FIELDS
from tests.web.conftest import PASSWORD

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', value: el.value ?? '',
          checked: !!el.checked, text: (el.innerText || '').trim(), id: el.id,
          submit: !!el.closest('main form') && el.type === 'submit',
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""


def tab(page: Page, key: str = "Tab") -> dict:
    """Move the focus, and check the element that has it shows it."""
    page.keyboard.press(key)
    focused = page.evaluate(FOCUSED)
    assert focused["outline"], f"no visible focus on {focused}"
    return focused


def press_and_wait(page: Page, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_to(page: Page, selector: str) -> None:
    """Tab forward (wrapping round) until the element matching `selector` has the focus."""
    for _ in range(80):
        tab(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def choose(page: Page, target: str) -> None:
    """A radio group or a select: the arrow keys move through the options (radios are checked as
    they get the focus); Space checks the first one, which Tab lands on unchecked."""
    for _ in range(30):
        focused = page.evaluate(FOCUSED)
        if focused["value"] == target:
            if focused["type"] == "radio" and not focused["checked"]:
                page.keyboard.press("Space")
            return
        tab(page, "ArrowDown")
    raise AssertionError(f"no option {target!r} in {focused['name']}")


def type_into(page: Page, kind: str, value: str) -> None:
    if kind == "date":  # Chromium's date field in en-US: month, day and year, each moving on to the next
        year, month, day = value.split("-")
        page.keyboard.type(month + day + year)
        return
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def fill_by_keyboard(page: Page, values: dict[str, tuple[str, str]]) -> set[str]:
    """Tab through the page from the top, entering each field's value, up to the form's first
    submit button, then press Enter on it. The names of the fields entered."""
    entered: set[str] = set()
    for _ in range(200):
        focused = tab(page)
        if focused["submit"]:
            press_and_wait(page)
            return entered
        if focused["name"] in values and focused["name"] not in entered:
            kind, value = values[focused["name"]]
            if focused["type"] == "radio" or focused["tag"] == "select":
                choose(page, value)
            else:
                type_into(page, kind, value)
            entered.add(focused["name"])
    raise AssertionError("Tab never reached the form's button")


def test_triage_and_application_form_with_the_keyboard_only(
    chromium: Browser, live_server: LiveServer, screenshots
):
    tour = Tour(live_server.url, screenshots("keyboard"), "en")
    page = tour.open(chromium.new_context(locale="en-US"))
    page.goto(live_server.url + "/")
    tour.check(page, "home", axe=False)

    # The skip link comes first, shows itself on focus and takes the focus to the main content.
    skip = tab(page)
    assert "skip-link" in page.evaluate("document.activeElement.className")
    assert page.locator(".skip-link").bounding_box()["x"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main" and page.url.endswith("#main")
    assert skip["text"]
    start = tab(page)  # the first thing in the main content
    assert start["tag"] == "a" and "/triage/" in page.evaluate("document.activeElement.href")
    press_and_wait(page)
    tour.check(page, "municipality", axe=False)

    # Toronto, by typing its name into the list, then Continue.
    tab_to(page, "#jurisdiction")
    page.keyboard.type("Toronto")
    assert page.locator("#jurisdiction").input_value() == "3520005"
    tab_to(page, "main form button[type=submit]")
    assert tab(page, "Shift+Tab")["id"] == "jurisdiction"  # and back
    tab(page)
    press_and_wait(page)

    # Every question, follow-ups included, up to the results.
    chain_answers = {name: ("answer", value) for name, value in triage_answers().items()}
    for round_ in range(1, 6):
        tour.check(page, f"questions-{round_}", axe=False)
        fill_by_keyboard(page, chain_answers)
        if page.locator("form.apply").count():
            break
    else:
        raise AssertionError("the triage never reached its results")
    tour.check(page, "results", axe=False)
    assert page.locator("#permit-TO-CAFETO").count() == 1

    # Apply, create an account, make the application.
    tab_to(page, "form.apply button")
    press_and_wait(page)
    tab_to(page, "main a.button.secondary")
    press_and_wait(page)
    tour.check(page, "sign-up", axe=False)
    fill_by_keyboard(
        page,
        {
            "name": ("text", APPLICANT_NAME),
            "email": ("email", "keys@example.ca"),
            "password": ("text", PASSWORD),
            "confirm": ("text", PASSWORD),
        },
    )
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page)
    tour.check(page, "application-form", axe=False)

    # The one form, every field, then Save and continue leads to the consent page.
    names = page.eval_on_selector_all(
        "main form [name]",
        FORM_FIELDS,
    )
    entered = fill_by_keyboard(page, {name: form_value(name) for name in names})
    assert entered == set(names)
    assert "/consent" in page.url, page.url
    tour.check(page, "consent", axe=False)
    assert page.locator(".error-summary").count() == 0
