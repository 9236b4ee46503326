"""Tags from meaning: for each tag, a small logistic regression over the sentence encoder's
vector of a glimmer, trained on the language's labelled glimmers (tag_tests/*.yaml) by
tools/train-tags and shipped beside the tag words as tags_model.npz.

A word list reads words one by one; the vector carries what a careful reader knows of the
world (lambing is animals, a spider plant is not, "felt blue" is not seen). Each tag has two
thresholds, chosen on held-out folds for precision: `alone`, above which the model gives
the tag by itself, and `with_words` (never under CONFIRM_AT), above which it gives it when
the tag's words also do: the word lists propose, the model confirms, and a word the model
doubts here gives nothing.

The file names what it was trained on (a fingerprint of the labelled glimmers and of the
training settings) and which encoder's vectors it reads ("plain", or the screen's adapters
by their tuning name): made for other vectors, it is not used, and the word lists alone tag.
numpy is imported only when a model is loaded or trained.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

MODEL_FILE = "tags_model.npz"
SCALE = 4.0  # unit vectors are small; as the screen's classifier scales them
NEWTON_STEPS = 12
L2_CHOICES = (1.0, 3.0, 10.0)  # tried on inner folds of the training sets, best kept
PRECISION = 0.95  # the thresholds aim above the 90% target: new writers bring new ways
# A tag the word lists give needs at least this likelihood from the model too: the lists
# were tuned on the training sets, so there they look surer than they are on new words
# (79% precise on set L, which they were never tuned on).
CONFIRM_AT = 0.5
NEVER = 2.0  # a threshold no probability reaches


def fingerprint(cases: Sequence[tuple[str, frozenset[str]]], listed: Sequence[Sequence[str]],
                tags: Sequence[str], tuning: str) -> str:
    """Names the labelled glimmers, what the word lists give each of them (the thresholds
    are chosen with it), the tags, the training settings and the encoder's vectors: the
    same means the same model."""
    digest = hashlib.sha256(
        f"{SCALE} {NEWTON_STEPS} {L2_CHOICES} {PRECISION} {CONFIRM_AT} {tuning}\n".encode())
    digest.update((" ".join(tags) + "\n").encode())
    for (text, labels), words in zip(cases, listed, strict=True):
        digest.update(text.encode("utf-8") + b"\t" + " ".join(sorted(labels)).encode()
                      + b"\t" + " ".join(words).encode() + b"\n")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TagModel:
    """What tags_model.npz holds: per tag, a weight vector, a bias and two thresholds."""

    fingerprint: str
    tuning: str  # whose vectors: "plain", or the screen's adapters' tuning name
    tags: tuple[str, ...]
    weights: Any  # (384, tags)
    bias: Any  # (tags,)
    alone: Any  # (tags,): the model alone gives the tag from this probability
    with_words: Any  # (tags,): with the tag's words, from this one

    def probabilities(self, vectors: Any) -> Any:
        """(n, tags): how likely each glimmer (by its unit vector) touches each tag."""
        return predict(vectors, self.weights, self.bias)

    def thresholds(self) -> dict[str, tuple[float, float]]:
        return {tag: (float(self.alone[i]), float(self.with_words[i]))
                for i, tag in enumerate(self.tags)}


class Senses:
    """of(texts) -> per text, {tag: probability}, from the encoder the model was trained on;
    thresholds: per tag, (alone, with its words). Made by senses_for()."""

    def __init__(self, model: TagModel, vectors: Any) -> None:
        self._model = model
        self._vectors = vectors  # callable: list[str] -> (n, 384) unit vectors
        self.thresholds = model.thresholds()

    def of(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        p = self._model.probabilities(self._vectors(texts))
        return [{tag: float(row[i]) for i, tag in enumerate(self._model.tags)} for row in p]


def senses_for(path: Path, tags: Sequence[str], likeness: Any = None) -> Senses | None:
    """The tags' model in `path` (tags_model.npz), reading the vectors of `likeness` (an
    encoder.likeness.Likeness over the same encoder, whose vectors of a glimmer just scored
    are reused) or of a plain encoder of its own. None when there is no model, it is
    damaged, made for other vectors or for other tags: the word lists alone tag then.
    Raises EncoderMissing when the sentence model is not installed."""
    from voice_glimmers.encoder.minilm import MiniLM

    model = read_model(path)
    if model is None:
        return None
    if model.tuning != "plain" or set(model.tags) != set(tags):
        _LOGGER.info("%s was made for other vectors or other tags: run tools/train-tags", path)
        return None
    if likeness is not None and getattr(likeness, "tuning", None) == model.tuning:
        return Senses(model, likeness.vectors_of)
    return Senses(model, MiniLM().encode)


def read_model(path: Path) -> TagModel | None:
    """What `path` holds, if it is a whole tag model; None (and a log line) if not."""
    import numpy as np

    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            model = TagModel(str(saved["fingerprint"]), str(saved["tuning"]),
                             tuple(str(t) for t in saved["tags"]),
                             saved["weights"].astype(np.float32), saved["bias"].astype(np.float32),
                             saved["alone"].astype(np.float32),
                             saved["with_words"].astype(np.float32))
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as err:
        _LOGGER.info("not using %s: %s", path, str(err)[:200])
        return None
    count = len(model.tags)
    if (model.weights.shape != (384, count) or any(
            a.shape != (count,) for a in (model.bias, model.alone, model.with_words))):
        _LOGGER.info("%s holds a tag model of another shape; not using it", path)
        return None
    if not all(np.isfinite(a).all() for a in (model.weights, model.bias, model.alone,
                                              model.with_words)):
        _LOGGER.info("%s holds numbers that are not finite; not using it", path)
        return None
    return model


def write_model(path: Path, model: TagModel) -> None:
    import numpy as np

    from voice_glimmers.core.files import write_atomically

    buffer = io.BytesIO()
    np.savez_compressed(buffer, fingerprint=np.array(model.fingerprint),
                        tuning=np.array(model.tuning), tags=np.array(model.tags),
                        weights=model.weights, bias=model.bias, alone=model.alone,
                        with_words=model.with_words)
    os.close(write_atomically(path, buffer.getvalue()))


# Training (tools/train-tags), numpy only.

def fit(x: Any, y: Any, l2: float) -> tuple[Any, float]:
    """A logistic regression of y (0/1) on x by Newton's method (deterministic): weights
    and bias. The bias is not penalised."""
    import numpy as np

    x = np.asarray(x, dtype=np.float32) * SCALE
    n, d = x.shape
    a = np.hstack([x, np.ones((n, 1), dtype=np.float32)])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30.0, 30.0)))
        gradient = a.T @ (p - y) + penalty * w
        weighted = a * (p * (1.0 - p)).astype(np.float32)[:, None]
        hessian = (weighted.T @ a).astype(np.float64) + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-5:
            break
    return w[:-1].astype(np.float32), float(w[-1])


def predict(x: Any, weights: Any, bias: float) -> Any:
    import numpy as np

    z = (np.asarray(x, dtype=np.float32) * SCALE) @ weights + bias
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


GRID = tuple(round(0.05 * i, 2) for i in range(2, 20)) + (0.97, 0.99)


def choose_thresholds(p: Any, truth: Any, words: Any,
                      precision: float = PRECISION) -> tuple[float, float]:
    """(alone, with_words) for one tag from held-out probabilities `p`, the labels and
    whether the tag's words gave it: the pair that finds the most labelled tags while
    keeping precision at least `precision` (with_words never under CONFIRM_AT); with none
    that does, nothing (NEVER, NEVER): the prompt that needs no sense."""
    import numpy as np

    truth = np.asarray(truth, dtype=bool)
    words = np.asarray(words, dtype=bool)
    best: tuple[int, float, float, float] | None = None  # (found, precision, alone, with)
    for alone in (*GRID, NEVER):
        for with_words in (*GRID, NEVER):
            if with_words > alone or with_words < CONFIRM_AT:
                continue
            given = (p >= alone) | (words & (p >= with_words))
            count = int(given.sum())
            if not count:
                continue
            right = int((given & truth).sum())
            if right / count < precision:
                continue
            key = (right, right / count, -alone, -with_words)
            if best is None or key > (best[0], best[1], -best[2], -best[3]):
                best = (right, right / count, alone, with_words)
    if best is None:
        return NEVER, NEVER
    return best[2], best[3]


def train(x: Any, labels: Mapping[str, Any], words: Mapping[str, Any], folds: Any,
          tags: Sequence[str]) -> tuple[Any, Any, Any, Any, dict[str, float]]:
    """Weights, bias, alone and with_words thresholds for each tag, trained on all of x;
    the L2 penalty and the thresholds chosen on held-out probabilities: each of `folds`
    (one number per glimmer: its labelled set) held out in turn."""
    import numpy as np

    held_out = {l2: out_of_fold(x, labels, folds, tags, l2) for l2 in L2_CHOICES}
    weights = np.zeros((x.shape[1], len(tags)), dtype=np.float32)
    bias = np.zeros(len(tags), dtype=np.float32)
    alone = np.zeros(len(tags), dtype=np.float32)
    with_words = np.zeros(len(tags), dtype=np.float32)
    chosen = {}
    for i, tag in enumerate(tags):
        y = np.asarray(labels[tag], dtype=np.float64)
        l2 = min(L2_CHOICES, key=lambda c: log_loss(held_out[c][tag], y))
        chosen[tag] = l2
        weights[:, i], bias[i] = fit(x, y, l2)
        alone[i], with_words[i] = choose_thresholds(held_out[l2][tag], y, words[tag])
    return weights, bias, alone, with_words, chosen


def out_of_fold(x: Any, labels: Mapping[str, Any], folds: Any, tags: Sequence[str],
                l2: float) -> dict[str, Any]:
    """Each glimmer's probability of each tag from a model trained without its fold."""
    import numpy as np

    folds = np.asarray(folds)
    out = {tag: np.zeros(len(x)) for tag in tags}
    for fold in np.unique(folds):
        inside, outside = folds != fold, folds == fold
        for tag in tags:
            y = np.asarray(labels[tag], dtype=np.float64)
            w, b = fit(x[inside], y[inside], l2)
            out[tag][outside] = predict(x[outside], w, b)
    return out


def log_loss(p: Any, y: Any) -> float:
    import numpy as np

    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
