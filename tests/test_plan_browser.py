"""The HTML plan in a real browser: headless Chromium renders it offline, and the rendered
DOM has the tables, the statuses, and the hostile annotation value as text (no script).

Skips, saying why, where no Chromium is installed (.ci/run installs Debian's ``chromium``
when it can).
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ingress2gateway.planning import make_plan, render
from tests.plan_input import HOSTILE, converted

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
)


def _browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Dom(HTMLParser):
    """What the test reads of the rendered DOM: rows by class, elements by tag, text."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[str] = []
        self.tags: list[str] = []
        self.code_texts: list[str] = []
        self.tables = 0
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "tr" and found.get("class") == "object":
            self.statuses.append(found.get("data-status") or "")
        if tag == "table":
            self.tables += 1
        if tag == "code":
            self._in_code = True
            self.code_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code_texts[-1] += data


@pytest.fixture(scope="module")
def browser() -> str:
    found = _browser()
    if found is None:
        pytest.skip(f"no headless browser installed (looked for {', '.join(BROWSERS)})")
    return found


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_html_plan_renders_in_a_browser(tmp_path: Path, browser: str) -> None:
    objects, result = converted(tmp_path, "standard")
    page = tmp_path / "plan.html"
    page.write_text(render(make_plan(result, inputs=objects), "html"), encoding="utf-8")
    shot = tmp_path / "plan.png"
    # One browser run: the rendered DOM on stdout and a screenshot (1.5 s; two runs took 3).
    rendered = _run(
        browser,
        tmp_path / "profile",
        "--dump-dom",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        page.as_uri(),
    )
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    dom = _Dom()
    dom.feed(rendered.stdout)
    assert "script" not in dom.tags  # the hostile value did not become an element
    assert HOSTILE in dom.code_texts  # ... it is shown as text
    assert dom.statuses == ["blocked", "blocked", "needs-action", "ready"]
    assert dom.tables >= 5  # three namespaces, prerequisites, policies, annotations
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
