"""The glimmer garden in a real browser: headless Chromium renders it, screenshots it at
desktop and phone width, and we read back the DOM it built.

Screenshots are kept in test-artifacts/garden/ (not in git) to look at.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_glimmers.store.glimmer_store import Glimmer
from voice_glimmers.views.garden import render_garden

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "garden"
TODAY = date(2026, 11, 27)
START = TODAY - timedelta(weeks=12) + timedelta(days=1)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars"]
INJECTED = (
    "<script>document.title='pwned';document.body.insertAdjacentHTML('beforeend',"
    "'<p id=\"pwned\">ran</p>')</script>",
    "<img src=x onerror=\"document.title='pwned'\"> & \"quotes\" 'too'",
)
PROBE = """<script>
window.addEventListener('load', () => {
  const links = [...document.querySelectorAll('table.month a')];
  const r = {scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
             links: links.length, focused: 0, shown: 0, inside: 0};
  for (const a of links) {
    a.focus();
    const pop = a.querySelector('.pop');
    if (document.activeElement === a) r.focused++;
    if (getComputedStyle(pop).display === 'block') r.shown++;
    const box = pop.getBoundingClientRect();
    if (box.left >= 0 && box.right <= innerWidth) r.inside++;
  }
  parent.document.body.setAttribute('data-probe', JSON.stringify(r));
});
</script>"""


@pytest.fixture(scope="module")
def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (tools/system-packages installs it)")
        pytest.skip("chromium is not installed")
    return exe


def run_chromium(exe: str, profile: Path, url: str, *args: str) -> str:
    """Run headless Chromium once on url with a fresh profile; its standard output."""
    result = subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def garden_glimmers() -> list[Glimmer]:
    texts = ["the smell of rain on the way home", "warm socks from the dryer",
             "my sister laughing on the phone", "the cat purring on my lap",
             "sun on my face at the bus stop", "a song I love came on"]
    tags = [("smell", "weather"), ("touch", "home"), ("sound", "people"), ("animals", "touch"),
            ("light", "weather"), ("music", "sound")]
    glimmers, n = [], 0
    for back in range(84):
        day = TODAY - timedelta(days=back)
        for k in range((back * 7) % 5 if back % 4 else 0):
            n += 1
            at = datetime(day.year, day.month, day.day, 9 + 2 * k, 5, tzinfo=timezone.utc)
            glimmers.append(Glimmer(n, texts[n % len(texts)], at, day, tags=tags[n % len(tags)]))
    for i, text in enumerate(INJECTED):
        at = datetime(2026, 11, 26, 12 + i, 0, tzinfo=timezone.utc)
        glimmers.append(Glimmer(1000 + i, text, at, at.date(), tags=("<b>bold</b>",)))
    return glimmers


@pytest.fixture(scope="module")
def page_html() -> str:
    return render_garden(garden_glimmers(), START, TODAY, today=TODAY)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


def without_policy(page: str) -> str:
    """The page with its Content-Security-Policy taken out, so scripts could run."""
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", page)
    assert stripped != page
    return stripped


def title_of(dom: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", dom, re.S).group(1))


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def check_dom(dom: str) -> None:
    glimmers = garden_glimmers()
    days = {g.day for g in glimmers}
    assert title_of(dom) == "Glimmer garden, 5 September 2026 to 27 November 2026"
    assert dom.count('<table class="month">') == 3
    assert len(set(re.findall(r'<a href="#d-([\d-]+)"', dom))) == len(days)
    assert len(re.findall(r'<li class="day-group" id="d-', dom)) == len(days)
    assert dom.count('<span class="text">') == len(glimmers)
    for g in glimmers[:20]:
        assert html.escape(g.text, quote=False) in dom
    # the injected words are text, not elements, and nothing they said ran
    assert '<p id="pwned"' not in dom and "<img" not in dom
    assert "&lt;script&gt;document.title='pwned'" in dom
    assert "&lt;b&gt;bold&lt;/b&gt;" in dom and "<b>bold</b>" not in dom


@pytest.mark.parametrize("policy", ["with policy", "escaping alone"])
def test_dom_has_calendar_and_glimmers_and_nothing_injected_ran(
        chromium, tmp_path, page_html, policy):
    page = page_html if policy == "with policy" else without_policy(page_html)
    dom = run_chromium(chromium, tmp_path / "profile", write(tmp_path, "garden.html", page),
                       "--dump-dom")
    check_dom(dom)


def test_the_check_would_catch_a_script_that_ran(chromium, tmp_path, page_html):
    """A control: the same page with one unescaped script does change the title."""
    page = without_policy(page_html).replace(
        "</main>", "<script>document.title='pwned'</script></main>")
    dom = run_chromium(chromium, tmp_path / "profile", write(tmp_path, "bad.html", page),
                       "--dump-dom")
    assert title_of(dom) == "pwned"


@pytest.mark.parametrize("name, width, height", [("desktop", 1280, 2000), ("phone", 390, 1600)])
def test_screenshot_and_layout(chromium, tmp_path, page_html, name, width, height):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"garden-{name}.png"
    shot.unlink(missing_ok=True)
    url = write(tmp_path, "garden.html", page_html)
    run_chromium(chromium, tmp_path / "shot", url, f"--window-size={width},{height}",
                 f"--screenshot={shot}")
    assert png_size(shot) == (width, height)
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one

    # Layout, read back from the browser: no sideways scrolling, every day reachable
    # with the keyboard, and its glimmers shown on focus, inside the window. Headless
    # windows are at least 500 px wide, so the page is measured in a frame of the width.
    probed = without_policy(page_html).replace("</body>", PROBE + "\n</body>")
    frame = (f'<!DOCTYPE html><html><body><iframe width="{width}" height="{height}" '
             f'srcdoc="{html.escape(probed, quote=True)}"></iframe></body></html>')
    dom = run_chromium(chromium, tmp_path / "probe", write(tmp_path, "probe.html", frame),
                       "--dump-dom")
    probe = json.loads(html.unescape(re.search(r'data-probe="([^"]*)"', dom).group(1)))
    days = len({g.day for g in garden_glimmers()})
    assert probe["innerWidth"] == width
    assert probe["scrollWidth"] <= width
    assert probe["links"] == days
    assert probe["focused"] == probe["shown"] == probe["inside"] == days


HEARD = """<script>
window.addEventListener('load', () => {
  // What a screen reader reads in the calendar, in order: aria-hidden subtrees and what is
  // not displayed are left out, an aria-label stands for what it labels.
  const said = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.data.trim()) said.push(node.data.trim());
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.getAttribute('aria-hidden') === 'true') return;
    if (getComputedStyle(node).display === 'none') return;
    if (node.hasAttribute('aria-label')) { said.push(node.getAttribute('aria-label')); return; }
    for (const child of node.childNodes) walk(child);
  };
  walk(document.querySelector('.months'));
  parent.document.body.setAttribute('data-probe', JSON.stringify(
    {said: said, height: document.querySelector('.months').getBoundingClientRect().height}));
});
</script>"""


def heard_in(chromium, tmp_path, page: str, width: int = 390) -> dict:
    probed = without_policy(page).replace("</body>", HEARD + "\n</body>")
    frame = (f'<!DOCTYPE html><html><body><iframe width="{width}" height="800" '
             f'srcdoc="{html.escape(probed, quote=True)}"></iframe></body></html>')
    dom = run_chromium(chromium, tmp_path / "heard", write(tmp_path, "heard.html", frame),
                       "--dump-dom")
    return json.loads(html.unescape(re.search(r'data-probe="([^"]*)"', dom).group(1)))


def test_two_weeks_in_the_garden_starts_at_the_first_glimmer_and_empty_runs_are_heard_once(
        chromium, tmp_path):
    from voice_glimmers.views.summary import narrow_range

    first = TODAY - timedelta(days=13)
    glimmers = [Glimmer(n, f"glimmer {n}", datetime(d.year, d.month, d.day, 10,
                                                    tzinfo=timezone.utc), d)
                for n, d in enumerate([first, first + timedelta(days=6), TODAY], start=1)]
    start, end = narrow_range(glimmers, START, TODAY, from_first=True)
    assert (start, end) == (first, TODAY)
    page = render_garden(glimmers, start, end, today=TODAY)
    twelve_weeks = render_garden(glimmers, START, TODAY, today=TODAY)
    heard, before = heard_in(chromium, tmp_path, page), heard_in(chromium, tmp_path, twelve_weeks)
    empty = [s for s in heard["said"] if "nothing saved" in s]
    # 15 to 19 November and 21 to 26 November: two sentences, not eleven
    assert empty == ["Sunday 15 November to Thursday 19 November: nothing saved",
                     "Saturday 21 November to Thursday 26 November: nothing saved"]
    assert [s for s in heard["said"] if "glimmer" in s] == [
        "Saturday 14 November: 1 glimmer", "Friday 20 November: 1 glimmer",
        "Friday 27 November: 1 glimmer"]
    # twelve weeks, as before, read dozens of empty days one by one, and scrolled far longer
    assert len([s for s in before["said"] if "nothing saved" in s]) >= 4
    assert not any(re.match(r"\w+ \d+ \w+: nothing saved$", s) for s in heard["said"])
    assert heard["height"] < before["height"] / 2  # the calendar, at phone width
