"""Rules CNN Studio and every exported script apply alike, in plain Python: how pixels are
scaled, how many images each part of a split gets and which loss `auto` stands for. core reads them from here, and an exported
script carries a copy, so the two can never disagree."""
from __future__ import annotations


# ---------------------------------------------------------------------------
# Data sources
# ---------------------------------------------------------------------------
PIXEL_MAX = 255.0  # the brightest whole-number pixel: normalizing maps 0..PIXEL_MAX to 0..1
LOSS_FOR_LABELS = {"sparse": "sparse_categorical_crossentropy",
                   "one_hot": "categorical_crossentropy", "binary": "binary_crossentropy"}
ONE_HOT_METRICS = ("auc", "precision", "recall")  # Keras compares them with one-hot labels


def pixel_scale(normalize: bool, dtype_name: str) -> float:
    """What images are multiplied by before the model sees them: whole-number pixels
    (uint8) are 0..255 and become 0..1 when normalizing; float images are taken as
    they are, so they are never divided twice."""
    return 1.0 / PIXEL_MAX if normalize and dtype_name == "uint8" else 1.0


def part_sizes(total: int, validation_split: float, test_split: float = 0.0) -> tuple:
    """How many of `total` images go to the test and the validation part: each fraction
    of the whole, rounded down as Keras's validation_split does; training keeps the
    rest."""
    return int(total * test_split), int(total * validation_split)


def auto_loss(units: int, label_form, metrics: tuple = ()):
    """The loss `auto` stands for, as a Keras user would choose it: binary cross-entropy
    for one output unit, categorical when the labels are one-hot (which precision,
    recall and auc need), sparse categorical for class numbers. None while the label
    form decides and is not known yet (an .npz file not read)."""
    if units == 1:
        return "binary_crossentropy"
    if any(name in ONE_HOT_METRICS for name in metrics):
        return LOSS_FOR_LABELS["one_hot"]
    if label_form is None:
        return None
    return LOSS_FOR_LABELS["one_hot" if label_form == "one_hot" else "sparse"]
