"""The parts written for each project: settings, the model, compiling, callbacks and the
data glue, each as the Trainer does it."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core.catalogue.applications import APPLICATIONS
from cnnstudio.core.dataset_config import DatasetConfig, augmentation_names, dataset_config
from cnnstudio.core.errors import ExportError
from cnnstudio.core.graph import MODEL_INPUT, consumers
from cnnstudio.core.inference import LayerResult, ShapeReport, infer
from cnnstudio.core.project import INPUT_NAME, LayerSpec, Project, model_name
from cnnstudio.core.project_file import start_weights_change, start_weights_of
from cnnstudio.core.run_files import stored_path
from cnnstudio.core.source_text import comment_text, identifier, py_literal
from cnnstudio.core.training_config import (
    OPTIMIZER_CLASSES, OPTIMIZER_EXTRAS, TrainingConfig, metric_class,
)
from cnnstudio.export_runtime.rules import LOSS_FOR_LABELS, auto_loss
from cnnstudio.core.keras_script.layout import INDENT, LINE, absolute, call_lines, shape_text


def checked_report(project: Project) -> ShapeReport:
    """The shape report of a stack the script can build and train, else an ExportError."""
    report = infer(project, known_figures()).raise_if_invalid(ExportError)
    output = report.output_shape
    if len(output) != 2:
        raise ExportError(f"The model's output is {shape_text(output)}; the script trains a "
                          f"classifier, which needs one value per class, (None, classes). "
                          f"Add Flatten or GlobalAveragePooling2D, then Dense(classes).")
    return report


def loss_and_note(setting: str, source: str, units: int, metrics: tuple[str, ...] = ()
                  ) -> tuple[str, str]:
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


def settings(project: Project, report: ShapeReport, data: DatasetConfig,
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
        ("DEVICE", py_literal(training.device),
         '"cpu", "gpu" (the first GPU) or "all" (every GPU, mirrored)'),
    ]
    path = data.resolved_path(project_file)  # None unless the source is npz or folder
    if path is not None:
        rows.append(("DATA_FILE" if data.source == "npz" else "DATA_FOLDER",
                     f"Path({py_literal(str(absolute(path)))})",
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
    return f"Path({py_literal(str(absolute(path)))})", "the imported model's weights: training " \
        "starts from them"


def _base_lines(spec: LayerSpec, result: LayerResult, project_file: str | Path | None,
                source: str = "x", target: str = "x", normalized: bool = True) -> list[str]:
    """A pre-trained base as a Keras user writes one: the application without its top,
    its weights from the local file, cut at an inner layer, frozen or partly unfrozen."""
    a = spec.resolved
    app = APPLICATIONS[a["application"]]
    arguments = ["include_top=False", "weights=None",
                 f"input_shape={py_literal(tuple(result.input_shape[1:]))}"]
    if a["pooling"] and not a["cut"]:
        arguments.append(f"pooling={py_literal(a['pooling'])}")
    lines = call_lines("    base = ", f"keras.applications.{a['application']}", arguments, "")
    output = f"base.get_layer({py_literal(a['cut'])}).output" if a["cut"] else "base.output"
    weights = a["weights"]
    if weights:
        path = Path(weights).expanduser()
        if not path.is_absolute() and project_file is not None:
            path = Path(project_file).resolve().parent / path
        lines.append(f"    load_base_weights(base, Path({py_literal(str(absolute(path)))}), "
                     f"{py_literal(app.weights_file)}, {py_literal(app.weights_url)})")
    lines.append(f"    base = keras.Model(base.input, {output}, name={py_literal(result.name)})")
    if not spec.trainable:
        lines.append("    base.trainable = False  # frozen: only the layers after it learn")
    elif a["trainable_top"]:
        lines.append(f"    for layer in base.layers[:-{a['trainable_top']}]:  # only the top "
                     f"{a['trainable_top']} learn")
        lines.append("        layer.trainable = False")
    if weights and app.preprocess and result.inputs == (MODEL_INPUT,):
        pixels = f"{source} * 255.0" if normalized else source
        lines.append(f"    images = keras.applications.{app.preprocess}.preprocess_input("
                     f"{pixels})  # as its weights were trained, from 0..255 pixels")
        source = "images"
    call = f"base({source}, training=False)" if weights else f"base({source})"
    note = ("  # BatchNormalization keeps its pre-trained statistics, as Keras's "
            "transfer-learning guide does") if weights else ""
    lines.append(f"    {target} = {call}{note}")
    return lines


def build_model(project: Project, report: ShapeReport,
                project_file: str | Path | None = None) -> str:
    """`build_model()`: keras.Input, then each layer as Keras would be called by hand: a
    chain passes `x` along; in a graph, an output that a later layer takes (a shortcut,
    a branch) keeps a variable named after its layer, and a merge takes a list."""
    lines = [
        "def build_model() -> keras.Model:",
        "    \"\"\"The project's layers in order, with CNN Studio's names; arguments left out",
        "    take Keras's defaults.\"\"\"",
        f"    inputs = keras.Input(shape=INPUT_SHAPE, name={py_literal(INPUT_NAME)})",
    ]
    variables = _variables(project, report)
    if not project.is_graph:
        lines.append("    x = inputs")
    for spec, result in zip(project.layers, report.layers):
        lines.append(f"    # {_layer_comment(spec, result)}")
        sources = [variables[source] for source in result.inputs]
        target = variables[result.name]
        if spec.layer_type.opaque:
            lines += _base_lines(spec, result, project_file, sources[0], target,
                                 dataset_config(project.dataset).pixel_scale("uint8") != 1.0)
            continue
        taken = f"[{', '.join(sources)}]" if spec.layer_type.merge is not None else sources[0]
        lines += call_lines(f"    {target} = ", _layer_class(spec),
                            _layer_arguments(spec, result.name), f"({taken})")
    output = variables[report.layers[-1].name] if report.layers else "inputs"
    lines.append(f"    return keras.Model(inputs, {output}, name={py_literal(model_name(project))})")
    return "\n".join(lines)


SCRIPT_NAMES = frozenset({"inputs", "x", "base", "layer", "model", "keras", "np", "tf",
                          "Path", "argparse", "json", "os", "sys"})


def _variables(project: Project, report: ShapeReport) -> dict[str, str]:
    """The Python variable holding each layer's output (MODEL_INPUT: the input's): `x`
    where the next line takes it and nothing else does, else the layer's own name."""
    if not project.is_graph:
        return {MODEL_INPUT: "x", **{r.name: "x" for r in report.layers}}
    users = consumers([r.inputs for r in report.layers])
    variables, taken = {MODEL_INPUT: "inputs"}, set(SCRIPT_NAMES)
    for i, result in enumerate(report.layers):
        if i == len(report.layers) - 1 or users.get(result.name) == [i + 1]:
            variables[result.name] = "x"
            continue
        variables[result.name] = identifier(result.name, taken)
    return variables


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
    text = f"{result.name}: {shape_text(result.output_shape)}, {counts}"
    if not spec.trainable:
        text += "; frozen: training leaves its weights as they are"
    return text


def _metric(name: str) -> tuple[str, list[str]]:
    """A metric as the Trainer compiles it (engine/training_setup.py, make_metrics): by name, or a
    keras.metrics object; where the class depends on the label form (top-k), the lines
    that choose it from the loss come with it."""
    sparse, one_hot = metric_class(name, False), metric_class(name, True)
    if sparse is None:
        return py_literal(name), []
    if sparse == one_hot:
        return f"keras.metrics.{sparse}(name={py_literal(name)})", []
    variable = name.split("_categorical")[0]  # top_k
    chooser = [f"    # {name}: one-hot or integer labels, as the loss has them",
               f"    {variable} = (keras.metrics.{one_hot}"
               f" if loss == \"categorical_crossentropy\"",
               f"        {' ' * len(variable)}else keras.metrics.{sparse})"]
    return f"{variable}(name={py_literal(name)})", chooser


def compile_model(training: TrainingConfig) -> str:
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
        *call_lines("        optimizer=",
                    f"keras.optimizers.{OPTIMIZER_CLASSES[training.optimizer]}",
                    optimizer_arguments, ","),
        "        loss=loss,",
        *call_lines("        metrics=", "", metrics, ",", brackets="[]"),
        "    )",
    ]
    return "\n".join(lines)


def make_callbacks(training: TrainingConfig, project_file: str | Path | None) -> str:
    """`make_callbacks()`: the project's early stopping, reduce-LR and best checkpoint."""
    made: list[list[str]] = []
    if training.early_stopping.enabled:
        stop = training.early_stopping
        made.append(call_lines(INDENT, "keras.callbacks.EarlyStopping", [
            f"monitor=monitored({py_literal(stop.monitor)}, has_validation)",
            f"patience={py_literal(stop.patience)}",
            f"restore_best_weights={py_literal(stop.restore_best_weights)}"], ","))
    if training.reduce_lr.enabled:
        reduce = training.reduce_lr
        made.append(call_lines(INDENT, "keras.callbacks.ReduceLROnPlateau", [
            f"monitor=monitored({py_literal(reduce.monitor)}, has_validation)",
            f"factor={py_literal(reduce.factor)}", f"patience={py_literal(reduce.patience)}",
            f"min_lr={py_literal(reduce.min_lr)}"], ","))
    if training.save_best:
        made.append(call_lines(INDENT, "keras.callbacks.ModelCheckpoint", [
            "BEST_WEIGHTS",
            f"monitor=monitored({py_literal(training.early_stopping.monitor)}, has_validation)",
            "save_best_only=True", "save_weights_only=True"], ","))
    if training.tensorboard_dir:
        folder = Path(training.tensorboard_dir).expanduser()
        if not folder.is_absolute() and project_file is not None:
            folder = Path(project_file).resolve().parent / folder
        made.append([f"{INDENT}# needs the tensorboard package: pip install tensorboard",
                     *call_lines(INDENT, "keras.callbacks.TensorBoard",
                                 [f"log_dir={py_literal(str(absolute(folder)))}"], ",")])
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


def load_training_data(data: DatasetConfig) -> str:
    """`load_training_data()`: the one function that differs between data sources."""
    if data.source == "shapes":
        h, w = data.image_size
        doc = (f"The built-in Shapes data set, drawn as CNN Studio draws it: {data.count:,} "
               f"images of\n    {h}x{w}x{data.channels} from seed {data.seed}, the first "
               f"{data.classes} kinds of figure\n    (CNN Studio draws its test part from "
               f"another seed).")
        body = [*call_lines("    spec = ", "ShapesSpec", [
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
        body = [f"    return load_folder(DATA_FOLDER, "
                f"image_size={py_literal(tuple(data.image_size))}, channels={data.channels},",
                f"                       test_split={py_literal(data.test_split)})"]
        kind = "FolderData"
    return "\n".join([f"def load_training_data() -> {kind}:", f'    """{doc}"""', *body])


def augmentation_layers(data: DatasetConfig) -> str:
    """`augmentation_layers()`: dataset.augmentation, named as CNN Studio names them."""
    lines = [
        "def augmentation_layers() -> list:",
        '    """dataset.augmentation: random changes to training batches only; validation',
        '    batches are never changed, and the model holds no training-only layers."""',
    ]
    if not data.augmentation:
        return "\n".join(lines + ["    return []  # the project has no augmentation"])
    lines.append("    return [")
    for spec, name in zip(data.augmentation, augmentation_names(data.augmentation)):
        lines += call_lines("        ", _layer_class(spec), _layer_arguments(spec, name), ",")
    lines.append("    ]")
    return "\n".join(lines)
