"""Headless Chromium from Debian (/usr/bin/chromium, installed by scripts/browser_deps.sh), driven by Playwright.

Never a Playwright browser download: the executable path is fixed. Screenshots go to test-artifacts/screenshots/.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dashboards.pdf import ARGS, CHROMIUM  # the PDF export launches the same executable with the same flags

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def _ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    script = ROOT / "scripts" / "browser_deps.sh"
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    if result.returncode != 0 or not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: scripts/browser_deps.sh failed: {result.stderr[-500:]}")


@pytest.fixture(scope="package")  # Playwright's sync API holds an event loop: release it after this package
def browser():
    _ensure_chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
