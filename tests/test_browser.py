"""Real-browser tests: JupyterLab in headless Chromium renders the widgets and reacts to the controls.

Screenshots land in test-artifacts/browser/. Skipped (with the reason) only where Chromium is missing;
`python3 tasks.py test` installs it on Debian when it runs as root.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.browser.lab import CHROMIUM, CHROMIUM_ARGS, LabServer, copy_tree, page_problems, run_all_cells, screenshot

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium missing: sudo apt-get install chromium"),
    pytest.mark.skipif(bool(os.environ.get("CLSKIT_SKIP_BROWSER")), reason="CLSKIT_SKIP_BROWSER set"),
    pytest.mark.timeout(600),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    copy_tree(ROOT / "notebooks", root)
    shutil.copy2(ROOT / "tests" / "browser" / "widget_gallery.ipynb", root / "widget_gallery.ipynb")
    if (ROOT / "datasets").exists():
        shutil.copytree(ROOT / "datasets", root.parent / "datasets", dirs_exist_ok=True)
    server = LabServer(root)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _open(page, lab, name):
    page.goto(lab.notebook_url(name))
    run_all_cells(page)


def test_welcome_runs_top_to_bottom_in_the_browser(lab, page):
    _open(page, lab, "00_welcome.ipynb")
    problems = page_problems(page)
    screenshot(page, "00_welcome_end")
    assert not problems, problems
    text = page.inner_text(".jp-Notebook")
    assert "test accuracy:" in text
    # the final static training-curve figure and the other plots are images on the page
    assert page.locator(".jp-RenderedImage img").count() >= 4
