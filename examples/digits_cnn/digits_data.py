"""The data both scripts share: scikit-learn's 8x8 digits (shipped with scikit-learn, no
download), scaled to [0, 1], split once with a fixed seed into training and held-out sets."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 42
HELD_OUT_FRACTION = 0.2


def load():
    """(x_train, y_train, x_held_out, y_held_out); x as float32 (N, 8, 8, 1) in [0, 1]."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=HELD_OUT_FRACTION, random_state=SPLIT_SEED, stratify=y)
    return x_train, y_train, x_test, y_test
