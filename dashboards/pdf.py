"""HTML to PDF with headless Chromium (Debian's package, the one the browser tests drive) through Playwright.

The page is rendered with JavaScript off and every network request refused: a digest is self-contained (inline
CSS), so nothing a post says can make the renderer fetch anything. The Docker image installs Chromium; elsewhere
`scripts/browser_deps.sh` does, and NW_CHROMIUM points at another executable.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

CHROMIUM = Path(os.environ.get("NW_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_RENDERS = threading.BoundedSemaphore(2)  # a Chromium per render: bound the memory a burst of exports can take


class PdfUnavailable(RuntimeError):
    """No renderer on this machine (the API answers 503 with this message)."""


def html_to_pdf(html: str, timeout_s: float = 60) -> bytes:
    """A4 PDF of a self-contained HTML page (print CSS applies)."""
    if not CHROMIUM.exists():
        raise PdfUnavailable(f"PDF export needs Chromium at {CHROMIUM} (apt-get install chromium, or set NW_CHROMIUM)")
    from playwright.sync_api import Error, sync_playwright

    with _RENDERS:
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS,
                                             timeout=timeout_s * 1000)
                try:
                    context = browser.new_context(java_script_enabled=False)
                    context.route("**/*", lambda route: route.abort())
                    pg = context.new_page()
                    pg.set_content(html, wait_until="load", timeout=timeout_s * 1000)
                    return pg.pdf(format="A4", print_background=True,
                                  margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"})
                finally:
                    browser.close()
        except Error as exc:
            raise PdfUnavailable(f"the PDF renderer failed: {exc.message.splitlines()[0]}") from None
