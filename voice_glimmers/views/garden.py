"""The glimmer garden: one self-contained HTML page to look back over weeks of glimmers.

Pure: glimmers and dates in, a page of text out. The page has inline CSS and SVG,
no script at all, and a Content-Security-Policy that forbids any, so it opens from
disk, offline, and nothing a person said can ever run.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from html import escape

from voice_glimmers.core.days import long_date, short_date, weekday_date
from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.views.summary import (
    Summary,
    plural,
    summarise,
    tag_label,
)

DEFAULT_FILENAME = "glimmer-garden.html"
POPOVER_LIMIT = 6  # glimmers shown when hovering a day; the list below has them all
SHADES = ((0, "none"), (1, "1"), (2, "2"), (3, "3 or 4"), (5, "5 or more"))

_GENTLE_WORDS = (
    "Take your time here. Each of these is a moment you noticed something good.",
    "A quiet place to look back. Nothing here needs doing; it is only for noticing.",
    "Small moments of safety, calm and connection, in your own words. "
    "Stay as long as you like.",
)
_EMPTY_WORDS = (
    "No glimmers were saved on these days, and that's alright. "
    "Some stretches of time are harder than others. When a small good moment "
    "comes along, a warm cup, a kind voice, a patch of sky, it can grow here."
)

_SPROUT = (
    "<svg class=\"sprout\" viewBox=\"0 0 48 48\" aria-hidden=\"true\" focusable=\"false\">"
    "<path d=\"M24 44V22\" stroke=\"#6f8f62\" stroke-width=\"3\" "
    "stroke-linecap=\"round\" fill=\"none\"/>"
    "<path d=\"M24 24C24 13 16 8 6 8c0 11 8 16 18 16z\" fill=\"#9cc08b\"/>"
    "<path d=\"M24 20c0-9 7-14 17-14 0 10-7 14-17 14z\" fill=\"#b3cfa3\"/>"
    "<circle cx=\"38\" cy=\"36\" r=\"3\" fill=\"#e8b04b\"/></svg>\n"
)

_CSS = """
:root{--bg:#fbf7f0;--ink:#2f3a2b;--soft:#5f5a50;--line:#e4dccd;--ring:#a2551c;
--l0:#f3ede3;--l1:#e6eedb;--l2:#cfe0bd;--l3:#b3cfa3;--l4:#9cc08b;--card:#fffdf9}
*{box-sizing:border-box}
html{font-size:112.5%;-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.55;
font-family:Georgia,"Iowan Old Style","Palatino Linotype","DejaVu Serif",serif}
main{max-width:60rem;margin:0 auto;padding:2rem 1.25rem 3rem}
h1,h2,h3{font-weight:normal;line-height:1.25;color:var(--ink)}
h1{font-size:2.1rem;margin:0 0 .25rem}
h2{font-size:1.45rem;margin:2.5rem 0 .75rem;padding-bottom:.3rem;
border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:0 0 .4rem}
p{margin:.5rem 0}
.sprout{width:3rem;height:3rem;display:block;margin-bottom:.25rem}
.range{color:var(--soft);font-size:1.05rem}
.gentle{font-size:1.2rem;font-style:italic;max-width:36rem}
.hint,.note,.legend,footer{color:var(--soft);font-size:.9rem}
a{color:var(--ink)}
:focus-visible{outline:3px solid var(--ring);outline-offset:2px;border-radius:6px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:var(--card);padding:.5rem 1rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.months{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1.5rem 2rem}
table.month{border-collapse:separate;border-spacing:4px;width:100%;max-width:22rem}
.month caption{text-align:left;font-size:1.05rem;padding:0 4px .2rem}
.month th{font-weight:normal;font-size:.75rem;color:var(--soft);padding:0}
.month td{position:relative;height:2.6rem;padding:0;border-radius:8px;vertical-align:top;
font-size:.8rem;text-align:left}
.month td.pad{background:none}
.month td.out,.month td.later{background:none;border:1px dashed var(--line);color:#8a8377}
.l0{background:var(--l0)}.l1{background:var(--l1)}.l2{background:var(--l2)}
.l3{background:var(--l3)}.l4{background:var(--l4)}
.month td.today{box-shadow:inset 0 0 0 2px var(--soft)}
.month a,.month .cell{display:block;height:100%;padding:2px 5px;text-decoration:none;
border-radius:8px}
.num{display:block;line-height:1.2}
.count{display:block;text-align:right;font-weight:bold;font-size:.95rem;line-height:1.1}
.pop{display:none;position:absolute;z-index:5;top:100%;left:0;margin-top:6px;width:15rem;
max-width:80vw;background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.6rem .8rem;box-shadow:0 6px 18px rgba(60,50,30,.18);font-size:.9rem;font-weight:normal}
.pop b{display:block;margin-bottom:.2rem}
.pop span{display:block;margin:.15rem 0}
td:nth-child(4) .pop{left:50%;transform:translateX(-50%)}
td:nth-child(n+5) .pop{left:auto;right:0}
.month a:hover .pop,.month a:focus .pop{display:block}
.key{white-space:nowrap}
.swatch{display:inline-block;width:1.1rem;height:1.1rem;border-radius:4px;vertical-align:-3px;
margin:0 .25rem 0 .6rem;border:1px solid var(--line)}
table.chart{border-collapse:collapse;width:100%;max-width:40rem}
.chart caption{text-align:left;color:var(--soft);font-size:.9rem;padding-bottom:.4rem}
.chart th,.chart td{padding:.3rem .4rem;text-align:left;font-weight:normal;vertical-align:middle}
.chart thead th{font-size:.85rem;color:var(--soft);border-bottom:1px solid var(--line)}
.chart td.n{width:3rem;text-align:right;font-weight:bold}
.chart td.bar{width:55%}
.chart svg{display:block;width:100%;height:1.1rem}
.chart rect{fill:var(--l4)}
.days{list-style:none;padding:0;margin:0}
.day-group{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:.9rem 1.1rem;margin:0 0 1rem}
.day-group:target{box-shadow:0 0 0 3px var(--l3)}
.day-group ul{margin:0;padding:0;list-style:none}
.day-group li{margin:.45rem 0;overflow-wrap:anywhere}
.time{color:var(--soft);font-size:.85rem;margin-right:.5rem;font-variant-numeric:tabular-nums}
.tag{display:inline-block;font-size:.75rem;color:var(--soft);border:1px solid var(--line);
border-radius:999px;padding:0 .5rem;margin-left:.3rem;white-space:nowrap}
footer{margin-top:3rem;border-top:1px solid var(--line);padding-top:1rem}
@media (max-width:30rem){main{padding:1.25rem .8rem 2rem}h1{font-size:1.7rem}
table.month{max-width:none}.pop{width:13rem}.chart td.bar{width:35%}}
@page{margin:1.5cm}
@media print{html{font-size:11pt}body{background:#fff}main{max-width:none;padding:0}
.pop,.skip,.hint{display:none!important}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
table.month,.day-group,.chart tr{break-inside:avoid}
.day-group{border-color:#ccc}a{text-decoration:none}}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _level(count: int) -> int:
    """Which of the five shades a day with this many glimmers gets."""
    return 0 if count <= 0 else 1 if count == 1 else 2 if count == 2 else 3 if count <= 4 else 4


def _day_id(day: date) -> str:
    return f"d-{day.isoformat()}"


def render_garden(
    glimmers: Iterable[Glimmer], start: date, end: date, *, today: date, week_start: int = 0
) -> str:
    """The whole page for the glimmer days start..end (inclusive), as HTML text.

    week_start: 0 = Monday ... 6 = Sunday, the first column of the calendar.
    """
    summary = summarise(glimmers, start, end)
    title = f"Glimmer garden, {short_date(start)} to {short_date(end)}"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">\n",
        "<meta name=\"color-scheme\" content=\"light\">\n",
        "<meta name=\"generator\" content=\"voice-glimmers\">\n",
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        "<a class=\"skip\" href=\"#glimmers\">Skip to the glimmers</a>\n<main>\n",
        _header(summary, today),
        _calendar(summary, today, week_start),
        _chart(summary),
        _glimmer_list(summary),
        f"<footer><p>Grown by voice-glimmers on {_e(long_date(today))}. "
        "This page and your glimmers stay on this computer.</p></footer>\n",
        "</main>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _header(summary: Summary, today: date) -> str:
    out = [
        f"<header>\n{_SPROUT}<h1>Your glimmer garden</h1>\n",
        f"<p class=\"range\">{_e(long_date(summary.start))} to {_e(long_date(summary.end))}</p>\n",
    ]
    if summary.glimmer_count:
        words = _GENTLE_WORDS[today.toordinal() % len(_GENTLE_WORDS)]
        out.append(f"<p class=\"gentle\">{_e(words)}</p>\n")
        out.append(
            f"<p class=\"tally\">{plural(summary.glimmer_count, 'glimmer')}, "
            f"noticed on {plural(summary.day_count, 'day')}.</p>\n"
        )
    else:
        out.append(f"<p class=\"gentle empty\">{_e(_EMPTY_WORDS)}</p>\n")
    out.append("</header>\n")
    return "".join(out)


def _months(start: date, end: date) -> Iterable[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _calendar(summary: Summary, today: date, week_start: int) -> str:
    days = summary.day_map()
    cal = calendar.Calendar(firstweekday=week_start % 7)
    weekdays = [(week_start + i) % 7 for i in range(7)]
    head = "".join(
        f"<th scope=\"col\" abbr=\"{calendar.day_name[w]}\">{calendar.day_abbr[w][:2]}</th>"
        for w in weekdays
    )
    out = [
        "<section aria-labelledby=\"calendar-heading\">\n",
        "<h2 id=\"calendar-heading\">Day by day</h2>\n",
        "<p class=\"hint\">Each day shows how many glimmers it holds. Point at a day, or reach "
        "it with the Tab key, to see its glimmers; choose it to go to them below.</p>\n",
        "<div class=\"months\">\n",
    ]
    for year, month in _months(summary.start, summary.end):
        out.append(
            f"<table class=\"month\"><caption>{calendar.month_name[month]} {year}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n"
        )
        quiet = _quiet_runs(year, month, summary, days, today)
        # Day numbers, 0 outside the month: no date is made past the calendar's last
        # day (9999-12-31), as the weeks around December 9999 would.
        for week in cal.monthdayscalendar(year, month):
            cells = [
                _cell(date(year, month, n), summary, days.get(date(year, month, n), ()), today,
                      quiet.get(n, ""))
                if n else "<td class=\"pad\"></td>"
                for n in week
            ]
            out.append("<tr>" + "".join(cells) + "</tr>\n")
        out.append("</tbody></table>\n")
    out.append("</div>\n<p class=\"legend\" aria-hidden=\"true\">Glimmers on a day:")
    for count, label in SHADES:
        out.append(f" <span class=\"key\"><span class=\"swatch l{_level(count)}\"></span>"
                   f"{_e(label)}</span>")
    out.append("</p>\n</section>\n")
    return "".join(out)


def _quiet_runs(year: int, month: int, summary: Summary, days: dict[date, tuple[Glimmer, ...]],
                today: date) -> dict[int, str | None]:
    """What a screen reader hears for the empty days of a month that come in runs: the
    first day of a run of two or more says the whole run ("Monday 2 November to Sunday
    15 November: nothing saved"), the others (None) are hidden from it, so it need not
    hear "nothing saved" dozens of times. A lone empty day is left to _cell."""
    def is_quiet(n: int) -> bool:
        day = date(year, month, n)
        return summary.start <= day <= min(summary.end, today) and day not in days

    heard: dict[int, str | None] = {}
    run: list[int] = []
    for n in [*range(1, calendar.monthrange(year, month)[1] + 1), 0]:  # 0: the end
        if n and is_quiet(n):
            run.append(n)
            continue
        if len(run) > 1:
            first, last = date(year, month, run[0]), date(year, month, run[-1])
            heard[run[0]] = f"{weekday_date(first)} to {weekday_date(last)}: nothing saved"
            heard.update((other, None) for other in run[1:])
        run = []
    return heard


def _cell(day: date, summary: Summary, glimmers: tuple[Glimmer, ...], today: date,
          quiet: str | None = "") -> str:
    """One day of the calendar. `quiet`: what a screen reader hears for an empty day in a
    run of them (None: nothing, the run's first day said it; "": the day on its own)."""
    num = f"<span class=\"num\">{day.day}</span>"
    if not summary.start <= day <= summary.end:
        return f"<td class=\"out\"><span class=\"cell\" aria-hidden=\"true\">{num}</span></td>"
    name = weekday_date(day)
    now = " today" if day == today else ""
    if day > today:
        return (f"<td class=\"later\"><span class=\"cell\">{num}"
                f"<span class=\"sr\">{_e(name)}: still to come</span></span></td>")
    if not glimmers and quiet is None:
        return (f"<td class=\"l0{now}\"><span class=\"cell\" aria-hidden=\"true\">{num}"
                "</span></td>")
    if not glimmers:
        heard = quiet or f"{name}: nothing saved"
        return (f"<td class=\"l0{now}\"><span class=\"cell\">{num}"
                f"<span class=\"sr\">{_e(heard)}</span></span></td>")
    label = f"{name}: {plural(len(glimmers), 'glimmer')}"
    pop = [f"<b>{_e(name)}</b>"]
    pop += [f"<span>{_e(g.text)}</span>" for g in glimmers[:POPOVER_LIMIT]]
    if len(glimmers) > POPOVER_LIMIT:
        pop.append(f"<span><i>and {len(glimmers) - POPOVER_LIMIT} more below</i></span>")
    return (
        f"<td class=\"l{_level(len(glimmers))}{now}\"><a href=\"#{_day_id(day)}\" "
        f"aria-label=\"{_e(label)}\">{num}<span class=\"count\">{len(glimmers)}</span>"
        f"<span class=\"pop\" aria-hidden=\"true\">{''.join(pop)}</span></a></td>"
    )


def _chart(summary: Summary) -> str:
    out = ["<section aria-labelledby=\"senses-heading\">\n",
           "<h2 id=\"senses-heading\">Senses and themes</h2>\n"]
    if not summary.by_tag:
        text = ("No senses or themes noted on these days." if summary.glimmer_count
                else "Senses and themes will show here as glimmers are saved.")
        out.append(f"<p>{text}</p>\n</section>\n")
        return "".join(out)
    most = summary.by_tag[0][1]
    out.append(
        "<table class=\"chart\"><caption>How many glimmers came through each sense or theme "
        "(a glimmer can have more than one).</caption>\n"
        "<thead><tr><th scope=\"col\">Sense or theme</th><th scope=\"col\">Glimmers</th>"
        "<th scope=\"col\"><span class=\"sr\">Bar</span></th></tr></thead>\n<tbody>\n"
    )
    for label, count in summary.by_tag:
        width = max(2.0, 100.0 * count / most)
        out.append(
            f"<tr><th scope=\"row\">{_e(label)}</th><td class=\"n\">{count}</td>"
            "<td class=\"bar\"><svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" "
            f"aria-hidden=\"true\" focusable=\"false\"><rect width=\"{width:.1f}\" height=\"10\" "
            "rx=\"2\"/></svg></td></tr>\n"
        )
    out.append("</tbody></table>\n")
    if summary.untagged_count:
        out.append(f"<p class=\"note\">Without a sense or theme noted: "
                   f"{summary.untagged_count}.</p>\n")
    out.append("</section>\n")
    return "".join(out)


def _glimmer_list(summary: Summary) -> str:
    out = ["<section id=\"glimmers\" aria-labelledby=\"glimmers-heading\">\n",
           "<h2 id=\"glimmers-heading\">Every glimmer, newest day first</h2>\n"]
    if not summary.by_day:
        out.append("<p>Nothing saved on these days.</p>\n</section>\n")
        return "".join(out)
    out.append("<ol class=\"days\">\n")
    for day, glimmers in summary.by_day:
        out.append(f"<li class=\"day-group\" id=\"{_day_id(day)}\">"
                   f"<h3>{_e(long_date(day))}</h3>\n<ul>\n")
        for g in glimmers:
            tags = "".join(f"<span class=\"tag\">{_e(tag_label(t))}</span>" for t in g.tags)
            out.append(
                f"<li><time class=\"time\" datetime=\"{_e(g.created_at.isoformat())}\">"
                f"{g.created_at:%H:%M}</time><span class=\"text\">{_e(g.text)}</span>{tags}</li>\n"
            )
        out.append("</ul></li>\n")
    out.append("</ol>\n</section>\n")
    return "".join(out)
