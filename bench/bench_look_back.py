"""The look-back for someone two weeks in: how much garden and summary they meet.

    .venv/bin/python bench/bench_look_back.py [--glimmers-per-day N]

Two weeks of glimmers (one every other day, by default), the garden and the therapy
summary made as `garden` and `export --format therapy` make them with no range asked for:
the days covered, the calendar's day cells, what a screen reader hears for empty days (one
sentence per day, or per run of days), the page's size, and the calendar's height in
headless Chromium at phone width (390 px), when chromium is installed.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from voice_glimmers.store.glimmer_store import Glimmer
from voice_glimmers.views.garden import render_garden
from voice_glimmers.views.summary import look_back_range, narrow_range, therapy_markdown

TODAY = date(2026, 12, 1)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars"]
PROBE = """<script>
window.addEventListener('load', () => {
  parent.document.body.setAttribute('data-h', String(
    document.querySelector('.months').getBoundingClientRect().height));
});
</script>"""


def glimmers(per_day: int) -> list[Glimmer]:
    out, n = [], 0
    for back in range(13, -1, -2):
        day = TODAY - timedelta(days=back)
        for k in range(per_day):
            n += 1
            at = datetime(day.year, day.month, day.day, 9 + k, tzinfo=timezone.utc)
            out.append(Glimmer(n, f"a small good moment {n}", at, day))
    return out


def calendar_height(page: str) -> float | None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", page)
    page = page.replace("</body>", PROBE + "</body>")
    frame = (f'<!DOCTYPE html><html><body><iframe width="390" height="800" '
             f'srcdoc="{html.escape(page, quote=True)}"></iframe></body></html>')
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frame.html"
        path.write_text(frame, encoding="utf-8")
        done = subprocess.run([exe, *FLAGS, f"--user-data-dir={folder}/profile", "--dump-dom",
                               path.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'data-h="([^"]*)"', done.stdout)
    return float(json.loads(found.group(1))) if found else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--glimmers-per-day", type=int, default=1)
    args = parser.parse_args()
    kept = glimmers(args.glimmers_per_day)
    span = look_back_range(None, TODAY)
    assert span is not None
    try:
        start, end = narrow_range(kept, *span, from_first=True)
    except TypeError:  # before from_first: the last twelve weeks, whatever they hold
        start, end = narrow_range(kept, *span)
    page = render_garden(kept, start, end, today=TODAY)
    summary = therapy_markdown(kept, start, end, today=TODAY)
    dates = re.search(r"\((\d+) days\)", summary)
    print(f"glimmers: {len(kept)} on {len({g.day for g in kept})} days, two weeks in")
    print(f"days covered: {(end - start).days + 1} (summary says {dates and dates.group(1)})")
    tables = page.count('<table class="month">')
    cells = len(re.findall(r'<td class="(?:l\d|later|out)', page))
    print(f"calendar month tables: {tables}")
    print(f"calendar day cells: {cells}")
    print(f"'nothing saved' sentences a screen reader hears: {page.count(': nothing saved<')}")
    print(f"page size: {len(page.encode()) / 1000:.1f} kB")
    height = calendar_height(page)
    print("calendar height at 390 px: " + ("no chromium" if height is None else f"{height:.0f} px"))


if __name__ == "__main__":
    main()
