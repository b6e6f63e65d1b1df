"""The command line (DESIGN.md section 4).

`cnnstudio [FILE]` opens the GUI; the sub-commands work headless. Errors are
one readable sentence on standard error with a non-zero exit status: 2 for a
file that cannot be read as a project, 1 for a valid file whose architecture
Keras would refuse.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from pathlib import Path

from cnnstudio.core.base_figures import known_figures
from cnnstudio.core import CnnStudioError, ShapeReport, infer, load_project, save_project
from cnnstudio.core.templates import get_template, list_templates
from cnnstudio.core.analysis import BYTES_PER_VALUE, format_bytes
from cnnstudio.core.export_targets import TARGETS
from cnnstudio.core.catalogue.common import show_shape

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _shapes_parser(sub) -> None:
    parser = sub.add_parser("shapes", help="print every layer's output shape and parameters")
    parser.add_argument("file", help="a .cnnstudio.json project")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_shapes)


def _templates_parser(sub) -> None:
    parser = sub.add_parser("templates", help="list the built-in templates")
    parser.set_defaults(handler=cmd_templates)


def _new_parser(sub) -> None:
    parser = sub.add_parser("new", help="write a new project from a template")
    parser.add_argument("--template", required=True, help="a name from `cnnstudio templates`")
    parser.add_argument("out", help="the project file to write")
    parser.set_defaults(handler=cmd_new)


def _train_parser(sub) -> None:
    parser = sub.add_parser("train", help="train headless and record the run in the project")
    parser.add_argument("file", help="a .cnnstudio.json project")
    parser.add_argument("--epochs", type=_positive, help="override training.epochs")
    parser.add_argument("--batch-size", type=_positive, help="override training.batch_size")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    cluster = parser.add_argument_group("on a Ray cluster (pip install 'cnnstudio[ray]')")
    cluster.add_argument("--ray", metavar="ADDRESS",
                         help="train data-parallel on Ray: local (start Ray here), auto (the "
                              "cluster `ray start` made here) or ray://HOST:PORT")
    cluster.add_argument("--workers", type=_positive, default=None,
                         help="training processes on the cluster, each one replica or more "
                              "(default 2)")
    cluster.add_argument("--gpus-per-worker", type=_not_negative, default=0, metavar="G",
                         help="GPUs each worker takes (default 0: CPUs)")
    parser.set_defaults(handler=cmd_train)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _not_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text!r}")
    return value


def _export_parser(sub) -> None:
    parser = sub.add_parser("export", help="write the project as a script or a model file")
    parser.add_argument("file", help="a .cnnstudio.json project")
    parser.add_argument("--to", required=True, dest="target", choices=list(TARGETS),
                        help="what to write")
    parser.add_argument("out", help="the file to write")
    parser.add_argument("--run", help="models: the run whose weights to use (default: the "
                                      "newest run that fits the project, else untrained)")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT if it exists (never the project or its run files)")
    parser.set_defaults(handler=cmd_export)


def _import_parser(sub) -> None:
    parser = sub.add_parser("import", help="turn a Keras model file into a project")
    parser.add_argument("model", help="a .keras or .h5 model (Sequential or functional)")
    parser.add_argument("out", help="the project file to write (its weights go beside it)")
    parser.set_defaults(handler=cmd_import)


def _sweep_parser(sub) -> None:
    from cnnstudio.cli_sweep import add_parser

    add_parser(sub, _positive)


COMMANDS = {"shapes": _shapes_parser, "templates": _templates_parser, "new": _new_parser,
            "train": _train_parser, "sweep": _sweep_parser, "export": _export_parser,
            "import": _import_parser}


def cmd_templates(args: argparse.Namespace) -> int:
    bases = known_figures()
    width = max(len(t.key) for t in list_templates()) + 1
    for template in list_templates():
        shape = "x".join(str(d) for d in template.project.input_shape)
        print(f"{template.key:<{width}} {template.title} (input {shape}, "
              f"{template.parameters_text(bases)})")
        print(f"{'':<{width}} {template.description}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    try:
        template = get_template(args.template)
    except KeyError as error:
        raise CnnStudioError(error.args[0]) from None
    out = Path(args.out)
    if out.exists():
        raise CnnStudioError(f"{out} already exists; choose another name or delete it first.")
    try:
        save_project(template.project, out)
    except OSError as error:
        raise CnnStudioError(f"cannot write {out}: {error.strerror}.") from None
    print(f"Wrote {out} from the {template.title} template.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """A Keras model file as a project: layers, names, arguments and connections, its
    weights beside the project to start the next run."""
    out = Path(args.out)
    if out.exists():
        raise CnnStudioError(f"{out} already exists; choose another name or delete it first.")
    from cnnstudio.engine.model_import import import_model

    imported = import_model(args.model, out)
    try:
        save_project(imported.project, out)
    except OSError as error:
        raise CnnStudioError(f"cannot write {out}: {error.strerror}.") from None
    project = imported.project
    report = infer(project, known_figures())
    kind = "a graph" if project.is_graph else "a chain"
    print(f"Wrote {out}: {len(project.layers)} layers ({kind}), {report.total_params:,} "
          "parameters.")
    if imported.weights is not None:
        print(f"Its weights are in {imported.weights}; the next run starts from them.")
    for note in imported.notes:
        print(note)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from cnnstudio.engine.exports import export

    project = load_project(args.file)
    exported = export(project, args.file, args.target, args.out, args.run, force=args.force)
    print(f"Wrote {exported.path} ({args.target}).")
    for note in exported.notes:
        print(note)
    return EXIT_OK


def cmd_shapes(args: argparse.Namespace) -> int:
    project = load_project(args.file)
    report = infer(project, known_figures())
    if report.pending is not None:  # a pre-trained base: Keras measures it once (seconds)
        from cnnstudio.engine.builder import measure_bases

        measure_bases(project)
        report = infer(project, known_figures())
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(format_summary(project.name, report))
    return EXIT_OK if report.valid else EXIT_INVALID


STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
"""Each stops a headless run after its current batch, which is then recorded: Ctrl+C,
a service manager's stop, and a closed terminal alike."""
EXIT_STOPPED_EARLY = 130


class StopSignals:
    """While the block runs, the stop signals set `requested` and call `target.stop()`
    (set `target` once there is something to stop); Python's own handlers come back
    after."""

    def __init__(self) -> None:
        import threading

        self.requested = threading.Event()
        self.target = None

    def __call__(self, *_) -> None:
        self.requested.set()
        if self.target is not None:
            self.target.stop()

    def __enter__(self) -> "StopSignals":
        import signal

        self.previous = {name: signal.signal(getattr(signal, name), self)
                         for name in STOP_SIGNALS if hasattr(signal, name)}
        return self

    def __exit__(self, *_) -> None:
        import signal

        for name, handler in self.previous.items():
            signal.signal(getattr(signal, name), handler)


def cmd_train(args: argparse.Namespace) -> int:
    """Train with the GUI's Trainer; a stop signal ends the run after its current batch,
    and the run is recorded whatever happens (see core.run_store)."""
    with StopSignals() as stop:
        return _train(args, stop)


def _train(args: argparse.Namespace, stop: StopSignals) -> int:
    project = load_project(args.file)  # bad settings: exit 2 before TensorFlow loads
    _check_cluster_options(args)
    _recover_runs(args.file)

    output = _Output(args.json, stop, project.name)
    trainer = stop.target = output.trainer = _runner(args, project, output)  # seconds
    if stop.requested.is_set():  # during TensorFlow's import
        print("cnnstudio: stopped before training started; nothing was recorded.",
              file=sys.stderr)
        return EXIT_STOPPED_EARLY
    finished = trainer.run()
    try:
        return _record(args, project, trainer, finished, output)
    finally:
        trainer.close()


def _check_cluster_options(args: argparse.Namespace) -> None:
    if args.ray is None and (args.workers is not None or args.gpus_per_worker):
        raise CnnStudioError("--workers and --gpus-per-worker set up training on a Ray "
                             "cluster: add --ray local (or the cluster's address).")


def _runner(args: argparse.Namespace, project, output):
    """The Trainer, or a ClusterRun of it with --ray: both stop, run and close alike."""
    if args.ray is None:
        from cnnstudio.engine.trainer import Trainer

        return Trainer(project, project_file=args.file, on_event=output.show,
                       epochs=args.epochs, batch_size=args.batch_size)
    from cnnstudio.engine.ray_cluster import import_ray
    from cnnstudio.engine.ray_train import ClusterRun

    import_ray()  # missing: one sentence before any data loads
    return ClusterRun(project, args.file, args.ray, args.workers or 2, args.gpus_per_worker,
                      on_event=output.show, epochs=args.epochs, batch_size=args.batch_size)


def _recover_runs(project_file: str) -> None:
    from cnnstudio.core.run_store import recover_interrupted

    for run_id in recover_interrupted(project_file):
        print(f"cnnstudio: {run_id} had been interrupted (its process ended mid-training); "
              f"recorded it as interrupted in {project_file}.", file=sys.stderr)


class _Output:
    """Prints the run's events; an output that closes (`| head -1`) stops the run."""

    def __init__(self, as_json: bool, on_closed, name: str) -> None:
        self.as_json = as_json
        self.name = name
        self.on_closed = on_closed
        self.closed = False
        self.trainer = None

    def show(self, event) -> None:
        from cnnstudio.core.training_events import EpochEnd, PhaseStarted, Started

        if isinstance(event, Started) and not self.as_json:
            self.print(f"Training {self.name}: {event.train_samples:,} training and "
                       f"{event.validation_samples:,} validation images, batch "
                       f"{event.batch_size}, {event.steps_per_epoch:,} iterations per epoch.")
        elif isinstance(event, PhaseStarted) and not self.as_json:
            self.print(event.message)
        elif isinstance(event, EpochEnd):
            line = {"epoch": event.epoch, **event.logs, "seconds": round(event.seconds, 3)}
            self.print(json.dumps(line) if self.as_json
                       else format_epoch(line, self.trainer.total_epochs))

    def print(self, text: str) -> None:
        if self.closed:
            return
        try:
            print(text, flush=True)
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            self.on_closed()


def _record(args, project, trainer, finished, output: _Output) -> int:
    from cnnstudio.core.run_store import record_run

    run = finished.run
    if run is not None:
        try:
            record_run(args.file, run)
        except (OSError, CnnStudioError) as error:
            print(f"cnnstudio: the run finished but could not be recorded in {args.file}: "
                  f"{error} Its folder keeps its record; the next `train` or opening the "
                  "project records it as interrupted.", file=sys.stderr)
            return EXIT_INVALID
    run = run or {}
    if output.closed:
        print(f"cnnstudio: the output was closed, so training stopped; "
              f"{finished.message} Recorded as {run.get('id')} in {args.file}.",
              file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        last = run.get("epochs", [{}])[-1] if run.get("epochs") else {}
        output.print(json.dumps({"final": True, "run": run.get("id"), "ended": finished.reason,
                                 "message": finished.message,
                                 "epochs": len(run.get("epochs", [])),
                                 "best_epoch": run.get("best_epoch"),
                                 "seconds": run.get("seconds"),
                                 **{k: v for k, v in last.items()
                                    if k not in ("epoch", "seconds")}}))
    elif finished.reason != "error":
        output.print(finished.message)
        if run:
            output.print(f"Recorded as {run['id']} in {args.file}.")
    if finished.reason in ("error", "nan"):
        print(f"cnnstudio: {finished.message}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def format_epoch(line: dict, epochs: int) -> str:
    """'epoch 2/5  loss 0.4123  accuracy 0.8712  val_loss ...  3.1 s'."""
    from cnnstudio.core.runs import format_metrics

    metrics = format_metrics(line, [k for k in line if k not in ("epoch", "seconds")], "  ")
    return f"epoch {line['epoch']}/{epochs}  {metrics}  {line['seconds']:.1f} s"


def format_summary(name: str, report: ShapeReport) -> str:
    """A table like ``model.summary()``, with the error under the layer that has it; a
    graph gets Keras's "Connected to" column."""
    names = ["input_layer", *(r.name for r in report.layers)]
    branching = any(r.inputs != (names[i] if i else "input",) for i, r in enumerate(report.layers))
    rows = [("Layer (type)", "Output Shape", "Param #", "Connected to" if branching else ""),
            ("input_layer (InputLayer)", show_shape(report.input_shape), "0", "-")]
    errors = {}
    for r in report.layers:
        shape = show_shape(r.output_shape) if r.output_shape else ("INVALID" if r.error else "-")
        sources = ", ".join("input_layer" if s == "input" else s for s in r.inputs)
        rows.append((f"{r.name} ({r.type})", shape, "-" if r.params is None else f"{r.params:,}",
                     sources))
        if r.error:
            errors[len(rows) - 1] = r.error
    columns = 4 if branching else 3
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    line = "-" * (sum(widths) + 3 * (columns - 1))
    out = [f'Model: "{name}"', line]
    for i, row in enumerate(rows):
        text = f"{row[0]:<{widths[0]}}   {row[1]:<{widths[1]}}   {row[2]:>{widths[2]}}"
        out.append(f"{text}   {row[3]}" if branching else text)
        if i == 0:
            out.append(line)
        if i in errors:
            out.append(f"    error: {errors[i]}")
    out.append(line)
    for label, count in (("Total params", report.total_params),
                         ("Trainable params", report.trainable_params),
                         ("Non-trainable params", report.non_trainable_params)):
        out.append(f"{label}: {count:,} ({format_bytes(count * BYTES_PER_VALUE)})")
    if not report.valid:
        bad = report.layers[report.error_index]
        out.append(f"Invalid at layer {bad.index} ({bad.name}); the counts cover the layers "
                   f"before it.")
    return "\n".join(out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnstudio",
        description="Design, train and look inside convolutional networks. Without a "
                    "command, opens the GUI on FILE, else the last project, else the "
                    "default example.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (len(argv) == 1 and argv[0] not in COMMANDS
                    and not argv[0].startswith("-") and _names_a_file(argv[0])):
        return open_gui(argv[0] if argv else None)
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        _parser().print_usage(sys.stderr)
        what = "command or project file" if len(argv) == 1 else "command"
        print(f"cnnstudio: {argv[0]!r} is not a {what}; the commands are "
              f"{', '.join(COMMANDS)}, and `cnnstudio FILE` opens a project in the window.",
              file=sys.stderr)
        return EXIT_UNREADABLE
    args = _parser().parse_args(argv)
    if args.command is None:
        return open_gui(None)
    try:
        return args.handler(args)
    except CnnStudioError as error:
        print(f"cnnstudio: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:  # Ctrl+C before a command set its own handler
        print("cnnstudio: interrupted; nothing was changed.", file=sys.stderr)
        return EXIT_STOPPED_EARLY
    except BrokenPipeError:  # `cnnstudio templates | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _names_a_file(word: str) -> bool:
    """`cnnstudio FILE` opens FILE: an existing path, or a project file's name (the GUI
    then says it is missing); any other word is a mistyped command."""
    return os.path.exists(word) or word.endswith(".json")


def open_gui(path: str | None) -> int:
    from cnnstudio.system_check import window_problem

    problem = _no_display() or window_problem()
    if problem:
        print(f"cnnstudio: {problem}", file=sys.stderr)
        return EXIT_INVALID
    from cnnstudio.ui.window.app import run_app

    return run_app(path)


def _no_display() -> str | None:
    """Why no window can open here (a Linux session without a display), else None: Qt
    would abort with a core dump instead of saying so."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs...: no display server needed
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set). Run it in a desktop session, or use the headless commands: "
            f"{', '.join(COMMANDS)} (cnnstudio --help).")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
