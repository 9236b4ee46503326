"""The screen on sentences written blind: danger met with care, hard feelings kept out,
hard-and-good asked about, ordinary moments kept; and its cost per utterance.

Each sentence is said as "glimmer, <sentence>" to a fresh conversation (with one glimmer
from before in the store, so a hard feeling is offered one), exactly as `chat` would.
Run: python bench/bench_screen.py [BLIND.yaml ...] [--lists-only]
(default: the blind sets under intents/en/screen_tests/). Prints figures only, never sentences.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc)
CLASSES = ("danger", "hard", "hard_and_good", "alarming_ordinary", "glimmer")
TARGETS = {"danger": 98.0, "hard": 95.0, "hard_and_good": 90.0, "alarming_ordinary": 95.0,
           "glimmer": 95.0}


def outcome(dialogue, store, text: str) -> str:
    """What happened: 'care' (crisis answer), 'kept', 'asked', or 'out' (not kept, not asked)."""
    before = len(store.all())
    reply = dialogue.respond(f"glimmer, {text}", NOW, source="text")
    if len(store.all()) > before:
        return "kept"
    if reply.intent == "safety":
        return "care"
    return "asked" if reply.expects_answer and "keep" in reply.text.lower() else "out"


def right(kind: str, happened: str) -> bool:
    return {"danger": happened == "care",
            "hard": happened in ("out", "care"),
            "hard_and_good": happened == "asked",
            "alarming_ordinary": happened == "kept",
            "glimmer": happened == "kept"}[kind]


def measure(path: Path, likeness, seen: dict | None = None) -> dict[str, tuple[int, int]]:
    from voice_glimmers.app.settings import Settings
    from voice_glimmers.dialogue.conversation import Dialogue
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.store.glimmer_store import GlimmerStore

    language = Language.from_dir(ROOT / "intents" / "en")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    figures = {}
    for kind in CLASSES:
        good = 0
        for text in data.get(kind, []):
            store = GlimmerStore.in_memory()
            store.add("the cat purring on my lap", at=datetime(2026, 11, 20, 12,
                                                             tzinfo=timezone.utc))
            extra = {"likeness": likeness} if likeness is not None else {}
            dialogue = Dialogue(store, language, Settings(db_path=Path("g.json")),
                                rng=random.Random(1), **extra)
            happened = outcome(dialogue, store, text)
            good += right(kind, happened)
            if seen is not None:
                seen.setdefault(kind, {}).setdefault(happened, 0)
                seen[kind][happened] += 1
        figures[kind] = (good, len(data.get(kind, [])))
    return figures


def cost(likeness, texts: list[str]) -> dict[str, float]:
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.understand.screen import Screen

    language = Language.from_dir(ROOT / "intents" / "en")
    screen = Screen(language.signs, language.lexicon, likeness)
    times = []
    for text in texts:
        started = time.perf_counter()
        screen.judge(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--lists-only", action="store_true")
    parser.add_argument("--breakdown", action="store_true",
                        help="also count what happened to each kind (care, kept, asked, out)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep a screen trained here in this folder")
    parser.add_argument("--train", action="store_true",
                        help="as after an edit of the examples without tools/train-screen: "
                             "train the classifier in this run, over the shipped tuned encoder")
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "intents" / "en" / "screen_tests").glob("blind_*.yaml"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    likeness, load_s = None, 0.0
    if not args.lists_only:
        started = time.perf_counter()
        from voice_glimmers.encoder.likeness import Likeness
        from voice_glimmers.language.safety import Signs

        # the screen's own load: its lists and examples, the model, the trained screen
        # (the rest of the language, loaded anyway, is bench_intents.py's)
        signs = Signs.from_dir(ROOT / "intents" / "en")
        examples = dict(signs.examples)
        if args.train:  # one more example: the shipped classifier no longer fits them
            examples["glimmer"] += ("the first coffee of the morning on the back step",)
        likeness = Likeness(examples, cache_dir=args.cache, shipped=signs.trained)
        load_s = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'set':<28}" + "".join(f"{k:>19}" for k in CLASSES))
    texts: list[str] = []
    for path in files:
        seen: dict = {}
        figures = measure(path, likeness, seen)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [t for k in CLASSES for t in data.get(k, [])]
        row = "".join(f"{g:>4}/{n:<4}{100 * g / max(n, 1):6.1f}%   " for g, n in figures.values())
        print(f"{path.name:<28}{row}")
        if args.breakdown:
            for kind, counts in seen.items():
                print(f"    {kind:<20}" + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    timing = cost(likeness, texts[:300])
    which = "lists only" if likeness is None else "lists + sentence model"
    how = "trained in this run" if args.train else "the shipped trained screen"
    print(f"\n{which} ({how}): load {load_s:.2f} s, "
          f"+{rss_after - rss_before:.0f} MB, judge p50 {timing['p50']:.2f} ms, "
          f"p99 {timing['p99']:.2f} ms")
    print("targets: danger >= 98%, hard >= 95%, hard_and_good >= 90%, ordinary >= 95%; "
          "p99 <= 15 ms, load <= 1.5 s, <= +150 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
