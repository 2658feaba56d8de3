"""Synthetic keyword-like audio features (no downloads): frames of 16 log-filterbank-like
values in [0, 1], one frame per 20 ms hop as a front end would deliver them.

Three "keywords" and silence, each keyword 7 to 11 frames long, over background noise of a
random level:
  0 silence  only noise
  1 up       a tone sweeping up the filterbank
  2 down     a tone sweeping down
  3 go       two fixed bands (a vowel's formants) swelling and fading together
Every word is drawn with a random length, pitch shift and loudness, so the model has to
generalise rather than match templates. Seeded: the same seed gives the same data.
"""

import numpy as np

FEATURES = 16
CLASSES = ("silence", "up", "down", "go")
# Frames the trained spotter sees at once: its receptive field (two SVDF layers of memory 8).
WINDOW = 15


def noise(rng, frames):
    level = rng.uniform(0.02, 0.15)
    return np.clip(rng.normal(level, level / 2, size=(frames, FEATURES)), 0, 1)


def keyword(rng, label):
    """One keyword's frames (without background)."""
    n = rng.randint(7, 12)
    loud = rng.uniform(0.5, 0.85)
    t = np.linspace(0.0, 1.0, n)[:, None]
    bins = np.arange(FEATURES)[None, :]
    shift = rng.uniform(-1.5, 1.5)
    if label == 1:
        centre = 2 + shift + t * 11
    elif label == 2:
        centre = 13 + shift - t * 11
    else:
        centre = None
    if centre is not None:
        frames = np.exp(-0.5 * ((bins - centre) / 1.0) ** 2)
    else:
        a, b = 4 + shift, 10 + shift
        frames = (np.exp(-0.5 * ((bins - a) / 0.8) ** 2) + np.exp(-0.5 * ((bins - b) / 0.8) ** 2))
        frames = frames * np.sin(np.pi * (t * 0.9 + 0.05))
    return loud * frames


def _add(x, word, end):
    """Adds `word` to the window `x` so that the word's last frame is frame end - 1 (it may
    lie past the window: the window then ends inside the word)."""
    for k, frame in enumerate(word):
        t = end - len(word) + k
        if 0 <= t < len(x):
            x[t] = np.clip(x[t] + frame, 0, 1)


def windows(count, seed):
    """`count` training windows [count, WINDOW, FEATURES] and labels: a keyword ends in the
    window's last four frames (the spotter fires just after the word), or silence: noise
    alone, or, half of the time, a word that ended six or more frames earlier or is still
    being spoken (at least three frames to go), so that a stream fires once per word."""
    rng = np.random.RandomState(seed)
    xs = np.empty((count, WINDOW, FEATURES), np.float32)
    ys = rng.randint(0, len(CLASSES), size=count)
    for i, label in enumerate(ys):
        x = noise(rng, WINDOW)
        if label:
            _add(x, keyword(rng, label), WINDOW - rng.randint(0, 4))
        elif rng.rand() < 0.5:
            word = keyword(rng, rng.randint(1, len(CLASSES)))
            if rng.rand() < 0.5:
                _add(x, word, WINDOW - rng.randint(6, 12))
            else:
                _add(x, word, WINDOW + rng.randint(3, len(word) - 2))
        xs[i] = x
    return xs, ys


def stream(seed, words=(1, 0, 3, 2, 0, 1), gap=(3, 7)):
    """A continuous stream of frames: the given words (0: a stretch of silence) separated
    by noise, and the frame index where each word ends."""
    rng = np.random.RandomState(seed)
    parts, ends, t = [], [], 0
    for label in words:
        pause = noise(rng, rng.randint(*gap))
        parts.append(pause)
        t += len(pause)
        if label:
            word = keyword(rng, label)
            parts.append(np.clip(noise(rng, len(word)) + word, 0, 1))
            t += len(word)
            ends.append((t - 1, label))
    return np.concatenate(parts).astype(np.float32), ends
