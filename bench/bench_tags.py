"""How well, and how fast, voice-glimmers tags a glimmer with the senses and themes it touches.

    .venv/bin/python bench/bench_tags.py [FILE ...] [--rounds N] [--misses] [--model]

FILE: labelled glimmers (`glimmers: [{text, tags}]`); by default every set under
intents/en/tag_tests/ (the blind ones, and the tuners' own, which are not blind). For each
tag: how many glimmers the labels give it, how many the tagger gives it, how many agree,
precision (of the tags given, how many a person also gave) and recall (of the person's tags,
how many were given). A tag the tagger never gives has no precision; it is shown as "-".

Time: `tag_text` per glimmer over every glimmer of the files, `--rounds` times after one
warm-up pass (p50 and p99 per glimmer; on a busy machine the p99 is mostly other processes'
turns, so each glimmer's quickest round is shown too), and the load of tags.yaml (median
of 5).

--model tags with the tags' model (intents/en/tags_model.npz, tools/train-tags) and the word
lists together, as a save does when the sentence model is installed, instead of the word
lists alone; the time is then per glimmer with its encoder pass (a save through `add`), and
again with the vector already made (a save in the conversation, where the layer that
generalises has just read the same words), and the load is the model's, with what it adds
to the process's resident memory. The sets are all trained on: held-out figures come from
`tools/train-tags --held-out SET`.

Target: precision >= 90% for every tag (a wrong sense prompt jars; a missing tag only
means a prompt that needs no sense). --misses prints each disagreement, for a set that may be
tuned on (never for a fresh blind set before it is measured).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "intents" / "en"
TARGET = 0.90


def labelled(path: Path) -> list[tuple[str, frozenset[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(g["text"], frozenset(g.get("tags") or ())) for g in data["glimmers"]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scores(cases, given) -> tuple[dict[str, tuple[int, int, int]], list[str]]:
    """Per tag: (labelled, given, both)."""
    wanted: Counter[str] = Counter()
    got: Counter[str] = Counter()
    both: Counter[str] = Counter()
    misses = []
    for (text, truth), tags in zip(cases, given, strict=True):
        tags = frozenset(tags)
        wanted.update(truth)
        got.update(tags)
        both.update(truth & tags)
        if tags != truth:
            extra = ", ".join(sorted(tags - truth))
            lost = ", ".join(sorted(truth - tags))
            misses.append(f"  +[{extra}] -[{lost}]  {text}")
    names = sorted(set(wanted) | set(got))
    return {t: (wanted[t], got[t], both[t]) for t in names}, misses


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def timed(texts, tagging, rounds: int, name: str) -> None:
    for text in texts:  # warm up
        tagging(text)
    times = []
    best = [float("inf")] * len(texts)  # per glimmer: its quickest round
    for _ in range(rounds):
        for i, text in enumerate(texts):
            start = time.perf_counter()
            tagging(text)
            took = (time.perf_counter() - start) * 1000
            times.append(took)
            best[i] = min(best[i], took)
    print(f"{name}: p50 {percentile(times, 0.5):.3f} ms, "
          f"p99 {percentile(times, 0.99):.3f} ms, mean {statistics.fmean(times):.3f} ms "
          f"({rounds} rounds of {len(texts)})")
    print(f"  each glimmer's quickest round (the cost without other processes' turns on a "
          f"shared machine): p50 {percentile(best, 0.5):.3f} ms, slowest {max(best):.3f} ms")


def resident_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def model_tagging(vocabulary, tags_of):
    """(text -> tags with the model and its own encoder pass, text -> tags with the
    glimmer's vector already made), after timing the model's load."""
    import numpy as np

    from voice_glimmers.core.words import plain_words
    from voice_glimmers.encoder.tagger import MODEL_FILE, Senses, read_model, senses_for

    np.zeros(1)  # numpy itself is loaded by the screen at every start: not the model's cost
    before = resident_kb()
    start = time.perf_counter()
    senses = senses_for(ENGLISH / MODEL_FILE, tuple(vocabulary.rules))
    took = (time.perf_counter() - start) * 1000
    if senses is None:
        raise SystemExit(f"{ENGLISH / MODEL_FILE} is missing or stale: run tools/train-tags")
    senses.of(["the smell of rain"])
    print(f"tags model load (with a plain encoder of its own): {took:.0f} ms, "
          f"+{(resident_kb() - before) / 1024:.1f} MB resident after its first glimmer; "
          f"the file: {(ENGLISH / MODEL_FILE).stat().st_size / 1024:.0f} KB")
    model = read_model(ENGLISH / MODEL_FILE)
    made: dict[str, object] = {}

    def already_made(texts):
        return np.stack([made[text] for text in texts])

    kept = Senses(model, already_made)

    def reused(text):
        joined = " ".join(plain_words(text))
        if joined not in made:
            made[joined] = senses._vectors([joined])[0]
        return tags_of(text, vocabulary, kept)

    return (lambda text: tags_of(text, vocabulary, senses)), reused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--model", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from voice_glimmers.language.tags import TagVocabulary
    from voice_glimmers.understand.tags import tag_text, tags_of

    loads = []
    for _ in range(5):
        start = time.perf_counter()
        vocabulary = TagVocabulary.from_dir(ENGLISH)
        loads.append((time.perf_counter() - start) * 1000)
    if args.model:
        tagging, reused = model_tagging(vocabulary, tags_of)
    else:
        def tagging(text):
            return tag_text(text, vocabulary)

    files = args.files or sorted((ENGLISH / "tag_tests").glob("*.yaml"))
    every = []
    met = True
    for path in files:
        cases = labelled(path)
        every.extend(cases)
        given = [tagging(text) for text, _ in cases]
        table, misses = scores(cases, given)
        exact = sum(1 for (_, truth), tags in zip(cases, given, strict=True)
                    if frozenset(tags) == truth)
        print(f"{path.name}: {len(cases)} glimmers, all tags right on {exact} "
              f"({percent(exact, len(cases))})")
        print(f"  {'tag':<10}{'labelled':>9}{'given':>7}{'right':>7}{'precision':>11}{'recall':>8}")
        for tag, (wanted, got, both) in table.items():
            print(f"  {tag:<10}{wanted:>9}{got:>7}{both:>7}{percent(both, got):>11}"
                  f"{percent(both, wanted):>8}")
            if got and both / got < TARGET:
                met = False
        wanted = sum(w for w, _, _ in table.values())
        got = sum(g for _, g, _ in table.values())
        both = sum(b for _, _, b in table.values())
        print(f"  {'all':<10}{wanted:>9}{got:>7}{both:>7}{percent(both, got):>11}"
              f"{percent(both, wanted):>8}")
        if args.misses:
            print("\n".join(misses))

    texts = [text for text, _ in every]
    timed(texts, tagging, args.rounds, "time per glimmer")
    if args.model:
        timed(texts, reused, args.rounds, "time per glimmer, its vector already made")
    print(f"tags.yaml load: {statistics.median(loads):.1f} ms (median of 5; first "
          f"{loads[0]:.1f} ms)")
    print(f"precision >= {TARGET:.0%} for every tag: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
