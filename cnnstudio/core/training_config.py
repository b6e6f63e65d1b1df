"""The project's `training` section: how `model.fit` is called.

Every setting is declared once in SETTINGS (key, kind, default, range, help);
that table validates the section, builds the Train page's form and names the
fields in errors (`training.early_stopping.patience`). Every field has a
default, so `{}` trains the way a short Keras script would (Adam, 5 epochs,
batch 64, 10% validation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.section_values import choice, flag, number, whole

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
LOSSES = ("auto", "sparse_categorical_crossentropy", "categorical_crossentropy",
          "binary_crossentropy", "mean_squared_error")
METRICS = ("accuracy", "top_k_categorical_accuracy", "auc", "precision", "recall")
OPTIMIZER_CLASSES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW"}
OPTIMIZER_EXTRAS = {"sgd": ("momentum",), "adamw": ("weight_decay",)}
"""The keras.optimizers class of each optimizer setting, and the settings it takes beyond
the learning rate: read by the Trainer and by the Keras script export alike."""
"""Keras compares these with labels shaped like the output: one-hot for several classes."""
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
DEVICES = ("cpu", "gpu", "all")


@dataclass(frozen=True)
class Setting:
    """One training setting: how it is read, shown and explained."""

    key: str
    kind: str  # choice, int, float, bool, text, metrics
    default: Any
    label: str
    help: str
    choices: tuple[str, ...] = ()
    low: float = 0
    high: float = 0
    low_open: bool = False
    high_open: bool = False
    only_for: tuple[str, str] | None = None  # (setting, value) it applies to, e.g. SGD

    def read(self, section: Mapping[str, Any], where: str) -> Any:
        if self.kind == "choice":
            return choice(section, self.key, self.default, self.choices, where)
        if self.kind == "int":
            return whole(section, self.key, self.default, int(self.low), int(self.high), where)
        if self.kind == "float":
            return number(section, self.key, self.default, self.low, self.high, where,
                          self.low_open, self.high_open)
        if self.kind == "bool":
            return flag(section, self.key, self.default, where)
        if self.kind == "metrics":
            return _metrics(section.get(self.key, list(self.default)), f"{where}.{self.key}")
        return _optional_text(section, self.key, where)


MONITOR_HELP = "The value watched; val_ values need a validation part."

EARLY_STOPPING = (
    Setting("enabled", "bool", False, "Early stopping", "Stop when the monitored value has "
            "not improved for `patience` epochs."),
    Setting("monitor", "choice", "val_loss", "Monitor", MONITOR_HELP, MONITORS),
    Setting("patience", "int", 3, "Patience", "Epochs without improvement before stopping.",
            low=0, high=10_000),
    Setting("restore_best_weights", "bool", True, "Restore best weights", "Keep the weights "
            "of the best epoch, not the last."),
)

REDUCE_LR = (
    Setting("enabled", "bool", False, "Reduce LR on plateau", "Multiply the learning rate "
            "by `factor` when the monitored value stops improving."),
    Setting("monitor", "choice", "val_loss", "Monitor", MONITOR_HELP, MONITORS),
    Setting("factor", "float", 0.5, "Factor", "New rate = rate x factor.", low=0, high=1,
            low_open=True, high_open=True),
    Setting("patience", "int", 2, "Patience", "Epochs without improvement before reducing.",
            low=0, high=10_000),
    Setting("min_lr", "float", 1e-6, "Minimum rate", "The rate never goes below this.",
            low=0, high=10),
)

FINE_TUNE = (
    Setting("enabled", "bool", False, "Fine-tune the base", "After `epochs` with the "
            "pre-trained base as set (frozen: only the head learns), unfreeze its top layers "
            "and train on at a lower learning rate. Needs an Application layer."),
    Setting("epochs", "int", 3, "More epochs", "Epochs of the second phase.", low=1,
            high=100_000),
    Setting("unfreeze_top", "int", 30, "Unfreeze top layers", "The last N layers of the "
            "base learn in the second phase.", low=1, high=100_000),
    Setting("learning_rate", "float", 1e-5, "Learning rate", "Much lower than the first "
            "phase's, so the pre-trained features are adjusted, not wiped out.", low=0,
            high=1e6, low_open=True),
)

SETTINGS = (
    Setting("optimizer", "choice", "adam", "Optimizer", "How the weights move along the "
            "gradient: Adam adapts a step per weight; SGD with momentum is the classic.",
            OPTIMIZERS),
    Setting("learning_rate", "float", 0.001, "Learning rate", "Size of each step. Too high "
            "and the loss explodes (NaN); too low and it barely moves.", low=0, high=1e6,
            low_open=True),
    Setting("momentum", "float", 0.9, "Momentum", "SGD keeps this fraction of the last step.",
            low=0, high=1, high_open=True, only_for=("optimizer", "sgd")),
    Setting("weight_decay", "float", 0.004, "Weight decay", "AdamW shrinks weights by this "
            "much per step.", low=0, high=1, only_for=("optimizer", "adamw")),
    Setting("loss", "choice", "auto", "Loss", "What training minimises; auto picks it from "
            "the labels and the output layer.", LOSSES),
    Setting("metrics", "metrics", ("accuracy",), "Metrics", "Reported per batch and epoch.",
            METRICS),
    Setting("batch_size", "int", 64, "Batch size", "Images per weight update (iteration).",
            low=1, high=1_000_000),
    Setting("epochs", "int", 5, "Epochs", "Passes over all training images.", low=1,
            high=100_000),
    Setting("validation_split", "float", 0.1, "Validation split", "Fraction of the training "
            "images held out to check generalisation after each epoch.", low=0, high=0.9),
    Setting("shuffle", "bool", True, "Shuffle", "A new order of training images each epoch."),
    Setting("seed", "int", 0, "Seed", "Same seed, same run: weights, split, order.", low=0,
            high=2**31 - 1),
    Setting("save_best", "bool", True, "Save best weights", "Keep the weights of the epoch "
            "with the best validation loss beside the project."),
    Setting("capture", "bool", True, "Capture layer dynamics", "At each epoch end, keep "
            "every layer's output for one image, its weight change and gradient norm (for "
            "the Evaluate page; costs under 5% of the time)."),
    Setting("device", "choice", "cpu", "Device", "cpu; gpu: the first GPU; all: every GPU "
            "(else every CPU device) with tf.distribute.MirroredStrategy.", DEVICES),
    Setting("tensorboard_dir", "text", None, "TensorBoard logs", "A folder for TensorBoard "
            "logs (relative to the project), or empty for none."),
)
GROUPS = {"early_stopping": EARLY_STOPPING, "reduce_lr": REDUCE_LR, "fine_tune": FINE_TUNE}


@dataclass(frozen=True)
class EarlyStopping:
    enabled: bool = False
    monitor: str = "val_loss"
    patience: int = 3
    restore_best_weights: bool = True


@dataclass(frozen=True)
class ReduceLR:
    enabled: bool = False
    monitor: str = "val_loss"
    factor: float = 0.5
    patience: int = 2
    min_lr: float = 1e-6


@dataclass(frozen=True)
class FineTune:
    enabled: bool = False
    epochs: int = 3
    unfreeze_top: int = 30
    learning_rate: float = 1e-5


@dataclass(frozen=True)
class TrainingConfig:
    optimizer: str = "adam"
    learning_rate: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 0.004
    loss: str = "auto"
    metrics: tuple[str, ...] = ("accuracy",)
    batch_size: int = 64
    epochs: int = 5
    validation_split: float = 0.1
    shuffle: bool = True
    seed: int = 0
    save_best: bool = True
    capture: bool = True
    device: str = "cpu"
    tensorboard_dir: str | None = None
    early_stopping: EarlyStopping = field(default_factory=EarlyStopping)
    reduce_lr: ReduceLR = field(default_factory=ReduceLR)
    fine_tune: FineTune = field(default_factory=FineTune)

    def to_dict(self) -> dict[str, Any]:
        """Every setting, defaults included: what a run records as its settings."""
        out: dict[str, Any] = {s.key: getattr(self, s.key) for s in SETTINGS}
        out["metrics"] = list(self.metrics)
        for group, settings in GROUPS.items():
            out[group] = {s.key: getattr(getattr(self, group), s.key) for s in settings}
        return out


_GROUP_CLASSES = {"early_stopping": EarlyStopping, "reduce_lr": ReduceLR,
                  "fine_tune": FineTune}


def training_config(section: Mapping[str, Any] | None) -> TrainingConfig:
    section = dict(section or {})
    _known(section, [s.key for s in SETTINGS] + list(GROUPS), "training")
    values: dict[str, Any] = {s.key: s.read(section, "training") for s in SETTINGS}
    for group, settings in GROUPS.items():
        where = f"training.{group}"
        part = section.get(group, {})
        if not isinstance(part, dict):
            raise ProjectError(where, f"got {show_value(part)}, expected an object such as "
                               '{"enabled": true}.')
        _known(part, [s.key for s in settings], where)
        values[group] = _GROUP_CLASSES[group](**{s.key: s.read(part, where) for s in settings})
    return TrainingConfig(**values)


def metric_class(name: str, one_hot: bool) -> str | None:
    """The keras.metrics class a metric is compiled as, or None where Keras takes the
    name itself ('accuracy' adapts to the labels); top-k needs to know the label form."""
    if name == "top_k_categorical_accuracy":
        return "TopKCategoricalAccuracy" if one_hot else "SparseTopKCategoricalAccuracy"
    return {"auc": "AUC", "precision": "Precision", "recall": "Recall"}.get(name)


def _known(section: Mapping[str, Any], keys: list[str], where: str) -> None:
    for key in section:
        if key not in keys:
            raise ProjectError(f"{where}.{key}", f"not a setting here; the settings are "
                               f"{', '.join(sorted(keys))}.")


def _metrics(value: Any, where: str) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            or len(set(value)) != len(value)):
        raise ProjectError(where, f"got {show_value(value)}, expected a list of distinct "
                           f"metric names from {', '.join(METRICS)}.")
    for name in value:
        if name not in METRICS:
            raise ProjectError(where, f"unknown metric {name!r}; use {', '.join(METRICS)}.")
    return tuple(value)


def _optional_text(section: Mapping[str, Any], key: str, where: str) -> str | None:
    value = section.get(key)
    if value == "":
        return None
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ProjectError(f"{where}.{key}", f"got {show_value(value)}, expected a folder "
                           "path, or null for none.")
    return value
