"""The portal on a 360 px phone: a folded menu, the salary table's total in view, legible charts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, login, shot

pytestmark = pytest.mark.e2e

PEOPLE = {"lena": "24.00", "ben": "20.00", "cara": "30.00", "dev": "26.00", "eve": "22.00", "finn": "28.00"}


@pytest.fixture
def phone(live_server: LiveServer, browser: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 780})
    yield context.new_page()
    context.close()


def test_on_a_phone_the_menu_folds_to_one_button_and_unfolds_on_a_tap(make_coop: Any, phone: Any) -> None:
    coop = make_coop(PEOPLE)
    login(phone, coop, "lena")
    nav = phone.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    header_height = phone.locator("header.site").bounding_box()["height"]
    assert header_height < 110, header_height  # the name and a Menu button; the links took five lines
    phone.get_by_text("Menu", exact=True).click()
    assert nav.is_visible()
    shot(phone, "phone-menu-open")
    nav.get_by_role("link", name="Pay").click()
    phone.wait_for_url(f"**{coop.path('pay')}")
    assert not phone.get_by_role("navigation", name="Main").is_visible()


def test_on_a_phone_the_salary_table_shows_the_total_per_hour_without_scrolling(make_coop: Any, phone: Any) -> None:
    coop = make_coop(PEOPLE)
    phone.goto(coop.path("pay"))
    total = phone.get_by_role("columnheader", name="Total per hour")
    box = total.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360, box
    # The other columns are still there, behind a visible cue that the table scrolls.
    assert phone.get_by_text("Scroll the table sideways for more columns").is_visible()
    region = phone.get_by_role("region", name="Salary table")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    # Chart labels read at a legible size (they were about 4 px).
    tick_height = phone.locator(".chart .tick").first.evaluate("e => e.getBoundingClientRect().height")
    assert tick_height >= 9, tick_height
    shot(phone, "phone-salary")
