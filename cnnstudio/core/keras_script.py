"""Export a project as a standalone Keras script (`cnnstudio export --to keras-script`).

The script is what a Keras user could have written by hand: the same model
(`keras.Input` and the project's layers, with their names and only the
arguments the user set), compiled and trained with the project's settings, on
the same data prepared the same way. A learner can read how CNN Studio trains,
and anyone can reproduce a run without CNN Studio.

This module only writes text, so it imports neither TensorFlow nor Qt. The
project's own parts (settings, model, compile, callbacks, which data) are
written here; the fixed parts (data readers, the tf.data pipeline, `main`) are
copied from the module cnnstudio.export_runtime.script_parts, and the Shapes
generator from cnnstudio.export_runtime.shapes, which the engine uses too, so the
script draws the very same images. Both are read as source through the import
system, never imported here. A script holds only what it uses (`_needed`).
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.catalogue.applications import APPLICATIONS
from cnnstudio.core.dataset_config import DatasetConfig, dataset_config
from cnnstudio.core.errors import ExportError
from cnnstudio.core.inference import LayerResult, ShapeReport, infer
from cnnstudio.core.project import INPUT_NAME, LayerSpec, Project, model_name
from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.project_file import start_weights_change, start_weights_of
from cnnstudio.core.run_files import stored_path
from cnnstudio.core.source_text import comment_text, docstring_text, py_literal
from cnnstudio.core.training_config import (
    LOSS_FOR_LABELS, OPTIMIZER_CLASSES, OPTIMIZER_EXTRAS, TrainingConfig, auto_loss,
    metric_class, training_config,
)

PARTS_MODULE = "cnnstudio.export_runtime.script_parts"
SHAPES_MODULE = "cnnstudio.export_runtime.shapes"
PER_PROJECT = "Written for each project by core.keras_script"
"""The parts module's section of stand-ins for what this module writes: never copied."""
LINE = 96  # wrap generated calls longer than this
INDENT = " " * 8  # of items in a list inside a function


@dataclass(frozen=True)
class _Unit:
    """One top-level statement of a source: the names it binds and the names it uses.

    A unit binding nothing (``from __future__``, ``os.environ.setdefault(...)``)
    is always kept.
    """

    text: str
    binds: frozenset[str]
    uses: frozenset[str]
    is_import: bool
    section: str | None
    is_definition: bool  # a function or class: two blank lines around it (PEP 8)
    blank_before: bool  # a blank line above it in its source


# The public functions -------------------------------------------------------------

def keras_script(project: Project, project_file: str | Path | None = None,
                 script_name: str = "train.py") -> str:
    """The text of a standalone Python script that builds, compiles and trains the
    project's model with Keras on the project's data, as CNN Studio's Trainer does.

    `project_file` locates relative data paths (written absolute in the script);
    `script_name` is only used in the usage lines of the script's docstring.
    Raises ExportError (or the ProjectError of a bad setting) for a project that
    could not be trained.
    """
    report = _checked_report(project)
    data = dataset_config(project.dataset)
    training = training_config(project.training)
    units = report.output_shape[-1]
    loss, loss_note = _loss(training.loss, data.source, units, training.metrics)
    generated = {
        "settings": _settings(project, report, data, training, units, loss, loss_note,
                              project_file),
        "model": [_build_model(project, report, project_file), _compile_model(training)],
        "data": [_load_training_data(data), _augmentation_layers(data)],
        "training": [_make_callbacks(training, project_file)],
    }
    return _assemble(project, report, data, project_file, script_name, generated)


def write_keras_script(project: Project, out: str | Path,
                       project_file: str | Path | None = None) -> Path:
    """Write the script to `out` (atomically, so a failed export leaves no half file).

    A name such as keras.py is refused: Python would import the script itself in
    place of Keras, and fail with a puzzling AttributeError.
    """
    out = Path(out)
    text = keras_script(project, project_file, script_name=out.name)
    if out.stem in _imported_modules(text):
        raise ExportError(f"A script named {out.name} would import itself instead of the "
                          f"{out.stem} module it needs; choose another name, e.g. "
                          f"train_{out.stem}.py.")
    try:
        write_text_atomic(out, text)
    except OSError as error:
        raise ExportError(f"Cannot write {out}: {error.strerror or error}. Choose a folder "
                          f"you can write to.") from None
    return out


def _imported_modules(text: str) -> set[str]:
    """The top-level modules a script imports."""
    modules = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


# Checks ------------------------------------------------------------------------------

def _checked_report(project: Project) -> ShapeReport:
    """The shape report of a stack the script can build and train, else an ExportError."""
    report = infer(project, known_figures()).raise_if_invalid(ExportError)
    output = report.output_shape
    if len(output) != 2:
        raise ExportError(f"The model's output is {_shape(output)}; the script trains a "
                          f"classifier, which needs one value per class, (None, classes). "
                          f"Add Flatten or GlobalAveragePooling2D, then Dense(classes).")
    return report


def _loss(setting: str, source: str, units: int, metrics: tuple[str, ...] = ()) -> tuple[str, str]:
    """The loss the Trainer picks, and a comment saying why (engine's choose_loss).

    Only a .npz file can hold one-hot labels, so only there does 'auto' wait
    for the data (the script's choose_loss decides when it has read them).
    """
    if setting != "auto":
        return setting, "training.loss"
    loss = auto_loss(units, None if source == "npz" else "sparse", metrics)
    if loss is None:
        return "auto", ("'auto' in the project: choose_loss() picks it from the labels in "
                        "the file")
    if units == 1:
        return loss, "'auto' in the project: one output unit"
    if loss == LOSS_FOR_LABELS["one_hot"]:
        return loss, "'auto' in the project: one-hot labels, which precision, recall and auc need"
    return loss, f"'auto' in the project: integer class labels, {units} output units"


# The project's parts -------------------------------------------------------------------

def _settings(project: Project, report: ShapeReport, data: DatasetConfig,
              training: TrainingConfig, units: int, loss: str, loss_note: str,
              project_file: str | Path | None) -> list[str]:
    """Module constants: everything the fixed parts read, each with where it comes from."""
    rows = [
        ("INPUT_SHAPE", py_literal(tuple(project.input_shape)), "one image: height, width, "
         "channels"),
        ("OUTPUT_UNITS", py_literal(units), "the last layer's outputs: one per class"),
        ("SEED", py_literal(training.seed), "training.seed: initial weights, split, batch order, "
         "augmentation"),
        ("BATCH_SIZE", py_literal(training.batch_size), "images per weight update (iteration)"),
        ("EPOCHS", py_literal(training.epochs), "passes over the training images; --epochs N "
         "overrides it"),
        ("VALIDATION_SPLIT", py_literal(training.validation_split), "fraction of the training "
         "images held out to validate each epoch"),
        ("SHUFFLE", py_literal(training.shuffle), "a new order of training images every epoch"),
        ("NORMALIZE", py_literal(data.normalize), "dataset.normalize: pixel values 0..255 become "
         "0..1"),
        ("LOSS", py_literal(loss), loss_note),
        ("DEVICE", py_literal(training.device), '"cpu", "gpu" (the first GPU) or "all" (every GPU, '
         "mirrored)"),
    ]
    path = data.resolved_path(project_file)  # None unless the source is npz or folder
    if path is not None:
        rows.append(("DATA_FILE" if data.source == "npz" else "DATA_FOLDER",
                     f"Path({py_literal(str(_absolute(path)))})",
                     f"dataset.path, {comment_text(repr(data.path))} in the project"))
    rows.append(("START_WEIGHTS", *_start_weights(project, project_file)))
    rows.append(("HERE", "Path(__file__).resolve()", "this script; its outputs go beside it"))
    rows.append(("MODEL_FILE", 'HERE.with_name(HERE.stem + ".keras")',
                 "the trained model is saved here"))
    rows.append(("FINE_TUNE", _fine_tune(project, report, training),
                 "training.fine_tune: the second phase, or None"))
    if training.save_best:
        rows.append(("BEST_WEIGHTS", 'HERE.with_name(HERE.stem + ".best.weights.h5")',
                     "training.save_best: the best epoch's weights"))
    return [_commented(f"{name} = {value}", note) for name, value, note in rows]


def _fine_tune(project: Project, report: ShapeReport, training: TrainingConfig) -> str:
    """The second phase as the Trainer runs it: which bases, how many top layers, the rate."""
    tune = training.fine_tune
    if not tune.enabled:
        return "None"
    bases = [r.name for spec, r in zip(project.layers, report.layers)
             if spec.layer_type.opaque]
    return py_literal({"bases": bases, "epochs": tune.epochs, "unfreeze_top": tune.unfreeze_top,
                "learning_rate": tune.learning_rate})


def _commented(line: str, note: str) -> str:
    """A line with its comment at the end, or above it where the line would be too long."""
    if len(line) + 4 + len(note) <= LINE:
        return f"{line}  # {note}"
    return f"# {note}\n{line}"


def _start_weights(project: Project, project_file: str | Path | None) -> tuple[str, str]:
    """The imported weights a new run starts from, as the Trainer decides: while the
    layers are the ones they were imported with (project_file.start_weights_change)."""
    entry = start_weights_of(project)
    if entry is None:
        return "None", "no imported weights: training starts from Keras's initial weights"
    change = start_weights_change(project, entry)
    if change is not None:
        return "None", f"the imported weights no longer fit: {change}"
    path = stored_path(entry["path"], project_file)
    if path is None:
        return "None", "the project's start_weights name no file"
    return f"Path({py_literal(str(_absolute(path)))})", "the imported model's weights: training " \
        "starts from them"


def _base_lines(spec: LayerSpec, result: LayerResult,
                project_file: str | Path | None) -> list[str]:
    """A pre-trained base as a Keras user writes one: the application without its top,
    its weights from the local file, cut at an inner layer, frozen or partly unfrozen."""
    a = spec.resolved
    arguments = ["include_top=False", "weights=None",
                 f"input_shape={py_literal(tuple(result.input_shape[1:]))}"]
    if a["pooling"] and not a["cut"]:
        arguments.append(f"pooling={py_literal(a['pooling'])}")
    lines = _call("    base = ", f"keras.applications.{a['application']}", arguments, "")
    output = f"base.get_layer({py_literal(a['cut'])}).output" if a["cut"] else "base.output"
    weights = a["weights"]
    if weights:
        path = Path(weights).expanduser()
        if not path.is_absolute() and project_file is not None:
            path = Path(project_file).resolve().parent / path
        app = APPLICATIONS[a["application"]]
        lines.append(f"    load_base_weights(base, Path({py_literal(str(_absolute(path)))}), "
                     f"{py_literal(app.weights_file)}, {py_literal(app.weights_url)})")
    lines.append(f"    base = keras.Model(base.input, {output}, name={py_literal(result.name)})")
    if not spec.trainable:
        lines.append("    base.trainable = False  # frozen: only the layers after it learn")
    elif a["trainable_top"]:
        lines.append(f"    for layer in base.layers[:-{a['trainable_top']}]:  # only the top "
                     f"{a['trainable_top']} learn")
        lines.append("        layer.trainable = False")
    call = "base(x, training=False)" if weights else "base(x)"
    note = ("  # BatchNormalization keeps its pre-trained statistics, as Keras's "
            "transfer-learning guide does") if weights else ""
    lines.append(f"    x = {call}{note}")
    return lines


def _build_model(project: Project, report: ShapeReport,
                 project_file: str | Path | None = None) -> str:
    """`build_model()`: keras.Input, then each layer as Keras would be called by hand."""
    lines = [
        "def build_model() -> keras.Model:",
        "    \"\"\"The project's layers in order, with CNN Studio's names; arguments left out",
        "    take Keras's defaults.\"\"\"",
        f"    inputs = keras.Input(shape=INPUT_SHAPE, name={py_literal(INPUT_NAME)})",
        "    x = inputs",
    ]
    for spec, result in zip(project.layers, report.layers):
        lines.append(f"    # {_layer_comment(spec, result)}")
        if spec.layer_type.opaque:
            lines += _base_lines(spec, result, project_file)
            continue
        lines += _call("    x = ", _layer_class(spec), _layer_arguments(spec, result.name),
                       "(x)")
    lines.append(f"    return keras.Model(inputs, x, name={py_literal(model_name(project))})")
    return "\n".join(lines)


def _layer_class(spec: LayerSpec) -> str:
    return f"keras.layers.{spec.layer_type.name}"


def _layer_arguments(spec: LayerSpec, name: str) -> list[str]:
    """The user's own arguments (lists as tuples, as Keras documents them), the name,
    and trainable=False for a frozen layer."""
    arguments = [f"{key}={py_literal(value)}" for key, value in spec.params.items()]
    arguments.append(f"name={py_literal(name)}")
    if not spec.trainable:
        arguments.append("trainable=False")
    return arguments


def _layer_comment(spec: LayerSpec, result: LayerResult) -> str:
    """'(None, 26, 26, 32), 320 parameters', and what freezing means where it applies."""
    trainable, frozen = result.trainable_params, result.non_trainable_params
    if frozen and trainable:
        counts = f"{trainable:,} trainable + {frozen:,} non-trainable parameters"
    else:
        counts = f"{trainable + frozen:,} parameter{'s' * (trainable + frozen != 1)}"
    text = f"{result.name}: {_shape(result.output_shape)}, {counts}"
    if not spec.trainable:
        text += "; frozen: training leaves its weights as they are"
    return text


def _metric(name: str) -> tuple[str, list[str]]:
    """A metric as the Trainer compiles it (engine/trainer.py, make_metrics): by name, or a
    keras.metrics object; where the class depends on the label form (top-k), the lines
    that choose it from the loss come with it."""
    sparse, one_hot = metric_class(name, False), metric_class(name, True)
    if sparse is None:
        return py_literal(name), []
    if sparse == one_hot:
        return f"keras.metrics.{sparse}(name={py_literal(name)})", []
    variable = name.split("_categorical")[0]  # top_k
    chooser = [f"    # {name}: one-hot or integer labels, as the loss has them",
               f"    {variable} = (keras.metrics.{one_hot} if loss == \"categorical_crossentropy\"",
               f"        {' ' * len(variable)}else keras.metrics.{sparse})"]
    return f"{variable}(name={py_literal(name)})", chooser


def _compile_model(training: TrainingConfig) -> str:
    """`compile_model()`: the Trainer's optimizer and metric objects; the loss comes from
    main(), which settles 'auto' for a .npz file once it has read the labels."""
    optimizer_arguments = ["learning_rate=learning_rate"]
    optimizer_arguments += [f"{key}={py_literal(getattr(training, key))}"
                            for key in OPTIMIZER_EXTRAS.get(training.optimizer, ())]
    made = [_metric(name) for name in training.metrics]
    metrics = [expression for expression, _ in made]
    lines = [
        f"def compile_model(model: keras.Model, loss: str, "
        f"learning_rate: float = {py_literal(training.learning_rate)}) -> None:",
        '    """Optimizer, loss and metrics as CNN Studio compiles them; fine-tuning compiles '
        'again."""',
        *[line for _, chooser in made for line in chooser],
        "    model.compile(",
        *_call("        optimizer=", f"keras.optimizers.{OPTIMIZER_CLASSES[training.optimizer]}",
               optimizer_arguments, ","),
        "        loss=loss,",
        *_call("        metrics=", "", metrics, ",", brackets="[]"),
        "    )",
    ]
    return "\n".join(lines)


def _make_callbacks(training: TrainingConfig, project_file: str | Path | None) -> str:
    """`make_callbacks()`: the project's early stopping, reduce-LR and best checkpoint."""
    made: list[list[str]] = []
    if training.early_stopping.enabled:
        stop = training.early_stopping
        made.append(_call(INDENT, "keras.callbacks.EarlyStopping", [
            f"monitor=monitored({py_literal(stop.monitor)}, has_validation)",
            f"patience={py_literal(stop.patience)}",
            f"restore_best_weights={py_literal(stop.restore_best_weights)}"], ","))
    if training.reduce_lr.enabled:
        reduce = training.reduce_lr
        made.append(_call(INDENT, "keras.callbacks.ReduceLROnPlateau", [
            f"monitor=monitored({py_literal(reduce.monitor)}, has_validation)",
            f"factor={py_literal(reduce.factor)}", f"patience={py_literal(reduce.patience)}",
            f"min_lr={py_literal(reduce.min_lr)}"], ","))
    if training.save_best:
        made.append(_call(INDENT, "keras.callbacks.ModelCheckpoint", [
            "BEST_WEIGHTS",
            f"monitor=monitored({py_literal(training.early_stopping.monitor)}, has_validation)",
            "save_best_only=True", "save_weights_only=True"], ","))
    if training.tensorboard_dir:
        folder = Path(training.tensorboard_dir).expanduser()
        if not folder.is_absolute() and project_file is not None:
            folder = Path(project_file).resolve().parent / folder
        made.append([f"{INDENT}# needs the tensorboard package: pip install tensorboard",
                     *_call(INDENT, "keras.callbacks.TensorBoard",
                            [f"log_dir={py_literal(str(_absolute(folder)))}"], ",")])
    lines = [
        "def make_callbacks(has_validation: bool) -> list:",
        '    """The callbacks the project turns on (val_ values need a validation part)."""',
        "    return [",
        "        keras.callbacks.TerminateOnNaN(),  # as CNN Studio stops a run whose loss "
        "is NaN",
    ]
    lines += [line for callback in made for line in callback]
    lines.append("    ]")
    return "\n".join(lines)


def _load_training_data(data: DatasetConfig) -> str:
    """`load_training_data()`: the one function that differs between data sources."""
    if data.source == "shapes":
        h, w = data.image_size
        doc = (f"The built-in Shapes data set, drawn as CNN Studio draws it: {data.count:,} "
               f"images of\n    {h}x{w}x{data.channels} from seed {data.seed}, the first "
               f"{data.classes} kinds of figure\n    (CNN Studio draws its test part from "
               f"another seed).")
        body = [*_call("    spec = ", "ShapesSpec", [
                    f"count={data.count}", f"height={h}", f"width={w}",
                    f"channels={data.channels}", f"seed={data.seed}",
                    f"classes={data.classes}"], ""),
                "    images, labels = generate(spec)",
                f"    return ArrayData(images, labels, class_count={data.classes})"]
        kind = "ArrayData"
    elif data.source == "keras":
        doc = (f"The training part of Keras's {data.name!r} data set, from the local Keras "
               f"cache\n    (never downloaded); its test part is not used in training.")
        body, kind = [f"    return load_{data.name}()"], "ArrayData"
    elif data.source == "npz":
        doc = "x_train and y_train of the project's .npz file (dataset.path)."
        body = [f"    return load_npz(DATA_FILE, test_split={py_literal(data.test_split)}, "
                f"seed={py_literal(data.seed)})"]
        kind = "ArrayData"
    else:
        doc = ("The images of the project's folder (dataset.path), one sub-folder per "
               "class;\n    dataset.test_split of them are held out for evaluation.")
        body = [f"    return scan_folder(DATA_FOLDER, "
                f"image_size={py_literal(tuple(data.image_size))}, channels={data.channels},",
                f"                       test_split={py_literal(data.test_split)})"]
        kind = "FolderData"
    return "\n".join([f"def load_training_data() -> {kind}:", f'    """{doc}"""', *body])


def _augmentation_layers(data: DatasetConfig) -> str:
    """`augmentation_layers()`: dataset.augmentation, named as CNN Studio names them."""
    lines = [
        "def augmentation_layers() -> list:",
        '    """dataset.augmentation: random changes to training batches only; validation',
        '    batches are never changed, and the model holds no training-only layers."""',
    ]
    if not data.augmentation:
        return "\n".join(lines + ["    return []  # the project has no augmentation"])
    lines.append("    return [")
    for i, spec in enumerate(data.augmentation):
        name = f"augment_{i}_{spec.layer_type.snake_name}"
        lines += _call("        ", _layer_class(spec), _layer_arguments(spec, name), ",")
    lines.append("    ]")
    return "\n".join(lines)


# Assembling the script ------------------------------------------------------------------

def _assemble(project: Project, report: ShapeReport, data: DatasetConfig,
              project_file: str | Path | None, script_name: str,
              generated: dict[str, list[str]]) -> str:
    """The header, the imports the script uses, then each section: the project's parts
    first, then the fixed parts they need, in the order of the parts file."""
    parts = _parts()
    shapes = _shapes_units() if data.source == "shapes" else []
    _check_self_contained(shapes, parts)
    shapes = [u for u in shapes if not u.is_import]  # the script imports those already
    code = [text for texts in generated.values() for text in texts]
    kept = _needed(parts + shapes, code + ["main()"])
    top = [u for u in kept if u.is_import or not u.binds]
    sections = [
        ("Settings: the project's training and dataset sections",
         [_generated("\n".join(generated["settings"]))]),
        ("The model", [_generated(text) for text in generated["model"]]),
        ("Data", [_generated(text) for text in generated["data"]]
         + _in_section(kept, parts, "Data sources")),
    ]
    if shapes:
        sections.append(("The built-in Shapes data set: CNN Studio's own generator "
                         f"({SHAPES_MODULE})", _in_section(kept, shapes, None)))
    sections += [("Batches for model.fit", _in_section(kept, parts, "Batches for model.fit")),
                 ("Training", [_generated(text) for text in generated["training"]]
                  + _in_section(kept, parts, "Training"))]
    header = _header(project, report, data, project_file, script_name)
    body = "\n\n\n".join(_section(title, units) for title, units in sections)
    return (f"{header}\n{_join(top)}\n\n\n{body}\n\n\n"
            f'if __name__ == "__main__":\n    main()\n')


def _generated(text: str) -> _Unit:
    """A part written for this project, laid out like a definition."""
    return _Unit(text, frozenset(), frozenset(), False, None, True, True)


def _in_section(kept: list[_Unit], source: list[_Unit], section: str | None) -> list[_Unit]:
    ids = {id(u) for u in source}
    return [u for u in kept if id(u) in ids and u.binds and not u.is_import
            and (section is None or u.section == section)]


def _join(units: list[_Unit]) -> str:
    """Statements laid out as in their source; two blank lines around definitions."""
    if not units:
        return ""
    out = [units[0].text]
    for before, unit in zip(units, units[1:]):
        if before.is_definition or unit.is_definition:
            gap = "\n\n\n"
        else:
            gap = "\n\n" if unit.blank_before else "\n"
        out.append(gap + unit.text)
    return "".join(out)


def _section(title: str, units: list[_Unit]) -> str:
    rule = "# " + "-" * 75
    return f"{rule}\n# {title}\n{rule}\n{_join(units)}"


def _header(project: Project, report: ShapeReport, data: DatasetConfig,
            project_file: str | Path | None, script_name: str) -> str:
    """The shebang and the docstring: what the script is, where from, how to run it."""
    source = str(_absolute(Path(project_file))) if project_file is not None else \
        "an unsaved project"
    lines = [
        "#!/usr/bin/env python3",
        f'"""{docstring_text(project.name)}: a CNN Studio project as a standalone Keras '
        "script.",
        "",
        f"Exported from {docstring_text(source)}.",
        f"Data: {docstring_text(_describe_data(data))}.",
        f"Model: {len(project.layers)} layers, {report.total_params:,} parameters "
        f"({report.trainable_params:,} trainable).",
        "",
        "It builds the same model, loads and prepares the same data the same way and",
        "trains with the same settings as CNN Studio. It needs Keras 3 with TensorFlow,",
        "and NumPy; it never downloads anything.",
        "",
        f"    python {script_name}                  train (prints model.summary() first)",
        f"    python {script_name} --epochs 1       train for one epoch",
        f"    python {script_name} --summary-json   each layer's output shape and parameters",
        f"    python {script_name} --data-checksum  a checksum of the first epoch's batches",
        '"""',
    ]
    return "\n".join(lines)


def _describe_data(data: DatasetConfig) -> str:
    if data.source == "shapes":
        h, w = data.image_size
        return (f"the built-in Shapes set, {data.count:,} images of {h}x{w}x{data.channels} "
                f"generated from seed {data.seed}")
    if data.source == "keras":
        return f"Keras's {data.name} from the local Keras cache"
    return f"{'the .npz file' if data.source == 'npz' else 'the image folder'} {data.path}"


# The fixed parts -------------------------------------------------------------------------

def module_source(name: str) -> str:
    """A module's source text, found through the import system without importing it
    (the export runtime imports TensorFlow, which core never does)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ExportError(f"{name} is missing: CNN Studio's installation is incomplete; "
                          "reinstall it.")
    return Path(spec.origin).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _module_units(name: str) -> tuple[_Unit, ...]:
    return tuple(_units(module_source(name)))


def _parts() -> list[_Unit]:
    return [u for u in _module_units(PARTS_MODULE) if u.section != PER_PROJECT]


def _shapes_units() -> list[_Unit]:
    return list(_module_units(SHAPES_MODULE))


def _check_self_contained(embedded: list[_Unit], parts: list[_Unit]) -> None:
    """The Shapes generator may import only what the script imports anyway (NumPy,
    dataclasses): then the script stays standalone."""
    have = {_statement(u.text) for u in parts if u.is_import}
    for unit in embedded:
        if unit.is_import and _statement(unit.text) not in have:
            raise ExportError(f"{SHAPES_MODULE} now needs {unit.text!r}, which a "
                              f"standalone script cannot import; add it to {PARTS_MODULE} "
                              f"if it is a standard or NumPy module.")


def _statement(text: str) -> str:
    """A statement without its layout and comments, to compare two imports."""
    return ast.dump(ast.parse(text))


def _units(source: str) -> list[_Unit]:
    """The top-level statements of a source, each with its section: the title of the
    last '# ----' / '# Title' / '# ----' block above it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    units, section, previous_end = [], None, 0
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        previous_end, body = body[0].end_lineno, body[1:]  # the module docstring
    for node in body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        section = _section_title(lines[previous_end:start - 1]) or section
        text = "\n".join(lines[start - 1:node.end_lineno])
        is_import = isinstance(node, (ast.Import, ast.ImportFrom))
        binds = frozenset() if _is_future(node) else _bound_names(node)
        is_definition = isinstance(node, (ast.FunctionDef, ast.ClassDef))
        blank_before = start >= 2 and not lines[start - 2].strip()
        units.append(_Unit(text, binds, _used_names(node), is_import, section, is_definition,
                           blank_before))
        previous_end = node.end_lineno
    return units


def _section_title(between: list[str]) -> str | None:
    for above, title, below in zip(between, between[1:], between[2:]):
        if above.startswith("# ---") and below.startswith("# ---") and title.startswith("# "):
            return title[2:].strip()
    return None


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _bound_names(node: ast.stmt) -> frozenset[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return frozenset({node.name})
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return frozenset((a.asname or a.name).split(".")[0] for a in node.names)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return frozenset(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset()


def _used_names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def _needed(units: list[_Unit], code: Iterable[str]) -> list[_Unit]:
    """The units that `code` uses, directly or through other units, plus those that are
    always kept; in their original order."""
    by_name: dict[str, _Unit] = {}
    for unit in units:
        for name in unit.binds:
            by_name.setdefault(name, unit)
    wanted = set().union(*(_used_names(ast.parse(text)) for text in code))
    kept = {id(u): u for u in units if not u.binds}
    wanted |= set().union(*(u.uses for u in kept.values()))
    while wanted:
        unit = by_name.get(wanted.pop())
        if unit is not None and id(unit) not in kept:
            kept[id(unit)] = unit
            wanted |= unit.uses
    return [u for u in units if id(u) in kept]


# Small helpers --------------------------------------------------------------------------


def _call(prefix: str, function: str, arguments: list[str], suffix: str,
          brackets: str = "()") -> list[str]:
    """`prefix + function(arguments) + suffix`: on one line if it fits, else the arguments
    aligned under the bracket, else on lines of their own indented by four."""
    opening, closing = brackets
    head = f"{prefix}{function}{opening}"
    line = f"{head}{', '.join(arguments)}{closing}{suffix}"
    if len(line) <= LINE or not arguments:
        return [line]
    aligned = _pack(arguments, head, " " * len(head), closing + suffix)
    if all(len(row) <= LINE for row in aligned):
        return aligned
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 4)
    return [head] + _pack(arguments, indent, indent, closing + suffix)


def _pack(arguments: list[str], first: str, indent: str, end: str) -> list[str]:
    """Arguments joined by commas, filled greedily into lines of at most LINE."""
    rows, current = [], first
    for i, argument in enumerate(arguments):
        piece = argument + ("," if i < len(arguments) - 1 else end)
        fresh = current in (first, indent)
        if not fresh and len(current) + 1 + len(piece) > LINE:
            rows.append(current)
            current, fresh = indent, True
        current += piece if fresh else " " + piece
    return rows + [current]


def _shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _absolute(path: Path) -> Path:
    """Absolute, so the script finds its data wherever it is run from."""
    return path.expanduser().resolve()
