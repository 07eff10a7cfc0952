"""The course website: built from the stored notebooks (``site/build.py``, what ``python3 tasks.py site``
runs) and opened in headless Chromium over a local HTTP server.

Every page loads with no console error and every image on it loads; every link inside the site leads to an
existing page and anchor; search finds "Grad-CAM"; no page shows a bare widget (a widget's stored output
must carry its static view). Screenshots of three pages land in test-artifacts/site/. Skipped only where
Chromium is missing (`python3 tasks.py test` installs it on Debian when it runs as root).
"""
from __future__ import annotations

import functools
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from tests.browser.lab import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "site"
SCREENSHOTS = {"README.html": "landing", "notebooks/11_interpretability.html": "notebook_11",
               "notebooks/08_evaluation_metrics.html": "notebook_08_widgets"}
# what a widget output shows where it has no static view and no kernel
BARE_WIDGET = re.compile(r"Loading widget|\b[VH]Box\(children=|GridBox\(children=")

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium missing: sudo apt-get install chromium"),
    pytest.mark.timeout(600),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built into a temporary folder, served on 127.0.0.1 (search needs http, not file://)."""
    out = tmp_path_factory.mktemp("site") / "html"
    subprocess.run([sys.executable, str(ROOT / "site" / "build.py"), str(out)], check=True, cwd=ROOT)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _pages(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")
                  if not p.relative_to(out).parts[0].startswith("_"))


def test_site_has_every_notebook_and_the_landing_page(site):
    out, _ = site
    pages = _pages(out)
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) == 16 and all(f"notebooks/{n}.html" in pages for n in notebooks)
    assert {"index.html", "README.html", "notebooks/README.html", "DATA_LICENSES.html", "site/license.html"} <= set(pages)
    assert all(f"datasets/{p.stem}.html" in pages for p in (ROOT / "datasets").glob("*.md"))


def test_every_page_loads_its_images_and_links_with_no_console_error(site, browser):
    out, base = site
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems = []
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: errors.append(f"request failed ({req.failure}): {req.url}"))
    page.on("response", lambda resp: errors.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in _pages(out):
        errors.clear()
        # "networkidle": the page's late requests (the favicon) finish before the next page would abort them
        page.goto(base + name, wait_until="networkidle")
        if name == "index.html":  # sends the reader on to the landing page
            page.wait_for_url("**/README.html")
            continue
        broken = page.evaluate("() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                               ".map(i => i.src.slice(0, 80))")
        problems += [f"{name}: {e}" for e in errors] + [f"{name}: image does not load: {src}" for src in broken]
        for href in page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            problem = _broken_link(out, base, urljoin(base + name, href))
            if problem:
                problems.append(f"{name}: {problem}")
        if name.startswith("notebooks/0") or name.startswith("notebooks/1"):
            assert page.locator(".clskit-cost").count() == 1, f"{name}: no line with the measured time and memory"
            assert page.locator("a[href*='colab.research.google.com']").count() >= 1, f"{name}: no Colab launch button"
            assert page.locator("a[href*='mybinder.org']").count() >= 1, f"{name}: no Binder launch button"
            assert "find_spec" not in page.inner_text("main"), f"{name}: the set-up cell is shown"
        if name in SCREENSHOTS:
            page.screenshot(path=str(ARTIFACTS / f"{SCREENSHOTS[name]}.png"), full_page=False)
    page.close()
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_no_page_shows_a_bare_widget(site):
    """A widget's stored output carries its static view (clskit.views.widgets._display), which the page shows."""
    out, _ = site
    bare = [name for name in _pages(out) if BARE_WIDGET.search(_read(out / name))]
    assert not bare, (f"these pages show a widget without its static view: {bare}; re-run their notebooks "
                      "(`python3 tasks.py notebooks NN`) so that the stored outputs carry it")


def _broken_link(out: Path, base: str, url: str) -> str | None:
    """Why a link inside the site does not resolve to a file (and anchor) of it; None if it does or leads out."""
    if not url.startswith(base):
        return None
    parsed = urlparse(url)
    path = unquote(parsed.path[len(urlparse(base).path):]) or "index.html"
    target = out / path
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"link to a missing file: {path}"
    if parsed.fragment and target.suffix == ".html":
        text = _read(target)
        if f'id="{unquote(parsed.fragment)}"' not in text:
            return f"link to a missing anchor: {path}#{parsed.fragment}"
    return None


@functools.lru_cache(maxsize=None)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_search_finds_grad_cam(site, browser):
    _, base = site
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(base + "search.html?q=Grad-CAM")
    page.wait_for_selector("#search-results ul.search li", timeout=60_000)
    hits = page.evaluate("() => [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.href)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search_grad_cam.png"), full_page=False)
    page.close()
    assert any("notebooks/11_interpretability.html" in h for h in hits), hits
