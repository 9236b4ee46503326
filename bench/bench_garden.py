"""How the glimmer garden copes with 10,000 glimmers: file size, Python render time,
and how long headless Chromium takes to load and lay it out, against the empty page.

    .venv/bin/python bench/bench_garden.py [--glimmers N] [--days D] [--runs R]

Browser time is measured three ways, each for the big page and for the baseline (the
empty garden: the same page with no glimmers): the wall time of `chromium --dump-dom`
(process start to DOM written), and, inside the page, performance.now() when the load
event fires after a forced layout; and the wall time of `chromium --screenshot` of the
page as shipped (load, layout and paint). The target is under 2 s for the big page.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from voice_glimmers.store.glimmer_store import Glimmer
from voice_glimmers.views.garden import render_garden
from voice_glimmers.views.summary import therapy_markdown

TODAY = date(2026, 11, 27)
TARGET_SECONDS = 2.0
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars", "--window-size=1280,2000"]
TIMER = """<script>
window.addEventListener('load', () => {
  document.body.getBoundingClientRect();
  const nav = performance.getEntriesByType('navigation')[0];
  document.body.setAttribute('data-timing', JSON.stringify({
    load: performance.now(), parsed: nav.domInteractive}));
});
</script>"""
TEXTS = ("the smell of rain on the way home", "warm socks from the dryer",
         "my sister laughing on the phone", "the cat purring on my lap",
         "sun on my face at the bus stop", "a song I love came on the radio",
         "fresh bread from the bakery", "a slow walk under the bare trees",
         "the kettle clicking off", "a neighbour waved from across the street")
TAGS = (("smell", "weather"), ("touch", "home"), ("sound", "people"), ("animals", "touch"),
        ("light", "weather"), ("music", "sound"), ("food", "smell", "taste"),
        ("movement", "nature"), ("sound", "home"), ("people", "sight"))


def make_glimmers(count: int, days: int) -> list[Glimmer]:
    rng = random.Random(27)
    glimmers = []
    for i in range(count):
        day = TODAY - timedelta(days=rng.randrange(days))
        at = datetime(day.year, day.month, day.day, rng.randrange(6, 24), rng.randrange(60),
                      tzinfo=timezone.utc)
        j = rng.randrange(len(TEXTS))
        glimmers.append(Glimmer(i + 1, f"{TEXTS[j]} ({i + 1})", at, day, tags=TAGS[j]))
    return glimmers


def timed(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def chromium_load(exe: str, page: str, folder: Path, runs: int) -> tuple[float, float, float]:
    """Median (dump-dom wall seconds, in-page load seconds, in-page parsed seconds)."""
    timed_page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", page)
    timed_page = timed_page.replace("</body>", TIMER + "\n</body>")
    path = folder / f"page-{len(page)}.html"
    path.write_text(timed_page, encoding="utf-8")
    walls, loads, parses = [], [], []
    for run in range(runs + 1):  # the first run warms the disk cache and is not counted
        profile = tempfile.mkdtemp(dir=folder)
        started = time.perf_counter()
        result = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                                 path.as_uri()], capture_output=True, text=True, timeout=180)
        wall = time.perf_counter() - started
        found = re.search(r'data-timing="([^"]*)"', result.stdout)
        if result.returncode != 0 or not found:
            sys.exit(f"chromium did not render the page: {result.stderr[-500:]}")
        timing = json.loads(html.unescape(found.group(1)))
        if run:
            walls.append(wall)
            loads.append(timing["load"] / 1000)
            parses.append(timing["parsed"] / 1000)
    return statistics.median(walls), statistics.median(loads), statistics.median(parses)


def chromium_paint(exe: str, page: str, folder: Path, runs: int) -> float:
    """Median wall seconds of `chromium --screenshot` (load, layout and paint), as shipped."""
    path = folder / f"shot-{len(page)}.html"
    path.write_text(page, encoding="utf-8")
    walls = []
    for run in range(runs + 1):
        profile = tempfile.mkdtemp(dir=folder)
        started = time.perf_counter()
        result = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}",
                                 f"--screenshot={folder / 'shot.png'}", path.as_uri()],
                                capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            sys.exit(f"chromium could not screenshot the page: {result.stderr[-500:]}")
        if run:
            walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glimmers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730, help="spread over this many days")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    glimmers = make_glimmers(args.glimmers, args.days)
    start = min(g.day for g in glimmers)
    render_s, page = timed(lambda: render_garden(glimmers, start, TODAY, today=TODAY), args.runs)
    empty_s, empty = timed(lambda: render_garden([], TODAY, TODAY, today=TODAY), args.runs)
    md_s, markdown = timed(lambda: therapy_markdown(glimmers, start, TODAY, today=TODAY),
                           args.runs)
    size, gz = len(page.encode()), len(gzip.compress(page.encode()))

    print(f"glimmer garden: {args.glimmers:,} glimmers over {args.days} days "
          f"({start} to {TODAY}), median of {args.runs} runs")
    print(f"page: {size / 1e6:.2f} MB ({gz / 1e3:.0f} kB gzipped); "
          f"empty page (baseline): {len(empty.encode()) / 1e3:.1f} kB; "
          f"therapy Markdown: {len(markdown.encode()) / 1e6:.2f} MB")
    print()
    rows = [("render page in Python", render_s, empty_s),
            ("therapy Markdown in Python", md_s, None)]
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("chromium is not installed: browser timings skipped", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory() as folder:
            big = chromium_load(exe, page, Path(folder), args.runs)
            base = chromium_load(exe, empty, Path(folder), args.runs)
            paint = chromium_paint(exe, page, Path(folder), args.runs)
            paint_base = chromium_paint(exe, empty, Path(folder), args.runs)
        rows += [("chromium --dump-dom wall time", big[0], base[0]),
                 ("in page: HTML parsed (domInteractive)", big[2], base[2]),
                 ("in page: load event after layout", big[1], base[1]),
                 ("  load minus the empty baseline", big[1] - base[1], None),
                 ("chromium --screenshot wall time", paint, paint_base),
                 ("  screenshot minus the empty baseline", paint - paint_base, None)]
    print(f"| {'measure':<40} | {'10k page':>9} | {'empty page':>10} |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 12}|")
    for name, value, baseline in rows:
        base_text = "" if baseline is None else f"{baseline:.3f} s"
        print(f"| {name:<40} | {value:7.3f} s | {base_text:>10} |")
    if exe is not None:
        verdict = "meets" if big[1] < TARGET_SECONDS else "MISSES"
        print(f"\nbrowser load of the {args.glimmers:,}-glimmer page: {big[1]:.2f} s, "
              f"{verdict} the {TARGET_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
