"""The project's `training` section: how `model.fit` is called.

Every field has a default, so `{}` trains the model the way a short Keras
script would (Adam, 5 epochs, batch 64, 10% validation). Bad values are
ProjectErrors naming the field (`training.learning_rate`), the value and the
range, so the Train page and `cnnstudio train` refuse them before any work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from cnnstudio.core.errors import ProjectError, show_value
from cnnstudio.core.section_values import choice, flag, number, whole

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
LOSSES = ("auto", "sparse_categorical_crossentropy", "categorical_crossentropy",
          "binary_crossentropy", "mean_squared_error")
LOSS_FOR_LABELS = {"sparse": "sparse_categorical_crossentropy",
                   "one_hot": "categorical_crossentropy", "binary": "binary_crossentropy"}
"""The loss that fits each label form a data set can have."""
METRICS = ("accuracy", "top_k_categorical_accuracy", "auc", "precision", "recall")
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
DEVICES = ("cpu", "gpu", "all")
T = "training"
"""cpu: the processor; gpu: the first GPU; all: every GPU (else every logical CPU)
through tf.distribute.MirroredStrategy."""


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
class TrainingConfig:
    optimizer: str = "adam"
    learning_rate: float = 0.001
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.004  # AdamW only
    loss: str = "auto"  # "auto": chosen from the labels (sparse, one-hot, binary)
    metrics: tuple[str, ...] = ("accuracy",)
    batch_size: int = 64
    epochs: int = 5
    validation_split: float = 0.1
    shuffle: bool = True
    seed: int = 0
    early_stopping: EarlyStopping = field(default_factory=EarlyStopping)
    reduce_lr: ReduceLR = field(default_factory=ReduceLR)
    save_best: bool = True
    device: str = "cpu"
    tensorboard_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every setting, defaults included: what a run records as its settings."""
        out = asdict(self)
        out["metrics"] = list(self.metrics)
        return out


def training_config(section: Mapping[str, Any] | None) -> TrainingConfig:
    section = dict(section or {})
    known = set(TrainingConfig.__dataclass_fields__)
    for key in section:
        if key not in known:
            raise ProjectError(f"training.{key}", f"not a training setting; the settings are "
                               f"{', '.join(sorted(known))}.")
    values: dict[str, Any] = {
        "optimizer": choice(section, "optimizer", "adam", OPTIMIZERS, T),
        "learning_rate": number(section, "learning_rate", 0.001, 0.0, 10.0, T, low_open=True),
        "momentum": number(section, "momentum", 0.9, 0.0, 1.0, T, high_open=True),
        "weight_decay": number(section, "weight_decay", 0.004, 0.0, 1.0, T),
        "loss": choice(section, "loss", "auto", LOSSES, T),
        "metrics": _metrics(section.get("metrics", ["accuracy"])),
        "batch_size": whole(section, "batch_size", 64, 1, 1_000_000, T),
        "epochs": whole(section, "epochs", 5, 1, 100_000, T),
        "validation_split": number(section, "validation_split", 0.1, 0.0, 0.9, T),
        "shuffle": flag(section, "shuffle", True, T),
        "seed": whole(section, "seed", 0, 0, 2**31 - 1, T),
        "early_stopping": _early_stopping(section.get("early_stopping", {})),
        "reduce_lr": _reduce_lr(section.get("reduce_lr", {})),
        "save_best": flag(section, "save_best", True, T),
        "device": choice(section, "device", "cpu", DEVICES, T),
        "tensorboard_dir": _optional_text(section, "tensorboard_dir"),
    }
    return TrainingConfig(**values)


def _early_stopping(section: Any) -> EarlyStopping:
    where = "training.early_stopping"
    section = _section(section, where, EarlyStopping)
    return EarlyStopping(
        enabled=flag(section, "enabled", False, where),
        monitor=choice(section, "monitor", "val_loss", MONITORS, where),
        patience=whole(section, "patience", 3, 0, 10_000, where),
        restore_best_weights=flag(section, "restore_best_weights", True, where))


def _reduce_lr(section: Any) -> ReduceLR:
    where = "training.reduce_lr"
    section = _section(section, where, ReduceLR)
    return ReduceLR(
        enabled=flag(section, "enabled", False, where),
        monitor=choice(section, "monitor", "val_loss", MONITORS, where),
        factor=number(section, "factor", 0.5, 0.0, 1.0, where, low_open=True, high_open=True),
        patience=whole(section, "patience", 2, 0, 10_000, where),
        min_lr=number(section, "min_lr", 1e-6, 0.0, 10.0, where))


def _section(value: Any, where: str, kind: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProjectError(where, f"got {show_value(value)}, expected an object such as "
                           f'{{"enabled": true}}.')
    known = set(kind.__dataclass_fields__)
    for key in value:
        if key not in known:
            raise ProjectError(f"{where}.{key}", f"not a setting here; the settings are "
                               f"{', '.join(sorted(known))}.")
    return value


def _metrics(value: Any) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            or len(set(value)) != len(value)):
        raise ProjectError("training.metrics", f"got {show_value(value)}, expected a list of "
                           f"distinct metric names from {', '.join(METRICS)}.")
    for name in value:
        if name not in METRICS:
            raise ProjectError("training.metrics", f"unknown metric {name!r}; use "
                               f"{', '.join(METRICS)}.")
    return tuple(value)


def _optional_text(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ProjectError(f"training.{key}", f"got {show_value(value)}, expected a folder "
                           "path, or null for none.")
    return value
