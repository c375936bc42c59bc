"""The PR inbox shows the tips behind an alert and answers their senders, in Chromium (the tipline's API tests and
fakes are in tests/api/test_tipline.py; the browser fixtures live in this package, whose scope releases Playwright's
event loop)."""
from __future__ import annotations

import pytest

from tests.api.test_tipline import _signed, _to, _wa, desk  # noqa: F401 - desk: the served tipline with fakes
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login


@pytest.mark.browser
def test_pr_inbox_shows_tips_and_answers_their_senders(page, desk):
    """The PR inbox shows the tips behind an alert and its button answers their senders (real Chromium)."""
    rule = desk.admin.post("/rules", json={"name": "beras plastik", "campaign": "stunting", "severity": "high",
                                           "query": {"any": ["beras plastik"], "platforms": ["tipline"]}}).json()
    numbers = ["6281100000030", "6281100000031"]
    for n, number in enumerate(numbers):
        text = f"Awas beras plastik beredar, anak bisa stunting kata pesan ini ({n})"
        assert _signed(desk, _wa(number, f"wamid.ui{n}", text)).status_code == 200
    [alert] = [a for a in desk.admin.get("/alerts").json() if a["rule"] == rule["id"]]
    login(page, desk.url, desk.keys["pr"])
    card = page.locator(f"article.alert[data-id='{alert['id']}']")
    card.locator("header").click()  # the card expands to the evidence, the brief and the tips
    card.locator(".tips h3").wait_for()
    assert "(2)" in card.locator(".tips h3").inner_text()
    assert card.locator(".tips li").count() == 2
    counter = "Tidak ada beras plastik di pasar; cek info resmi di kemkes.go.id"
    card.locator("textarea.tip-answer").fill(counter)
    card.locator("button.tip-answers").click()
    card.locator(".tip-result").wait_for()
    assert "2 / 2" in card.locator(".tip-result").inner_text()
    shot(page, "pr-inbox-tips")
    for number in numbers:
        assert [b["text"]["body"] for b in _to(desk.graph, number)].count(counter) == 1
