"""Putting a script together: the header, the imports it uses, then each section with the
project's own parts first and the fixed parts they need."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.dataset_config import DatasetConfig
from cnnstudio.core.inference import ShapeReport
from cnnstudio.core.project import Project
from cnnstudio.core.source_text import docstring_text
from cnnstudio.core.keras_script.layout import absolute
from cnnstudio.core.keras_script.units import (
    SHAPES_MODULE, check_self_contained, fixed_parts, needed, shapes_units, Unit,
)


def assemble(project: Project, report: ShapeReport, data: DatasetConfig,
              project_file: str | Path | None, script_name: str,
              generated: dict[str, list[str]]) -> str:
    """The header, the imports the script uses, then each section: the project's parts
    first, then the fixed parts they need, in the order of the parts file."""
    parts = fixed_parts()
    shapes = shapes_units() if data.source == "shapes" else []
    check_self_contained(shapes, parts)
    shapes = [u for u in shapes if not u.is_import]  # the script imports those already
    code = [text for texts in generated.values() for text in texts]
    kept = needed(parts + shapes, code + ["main()"])
    top = [u for u in kept if u.is_import or not u.binds]
    sections = [
        ("Settings: the project's training and dataset sections",
         [generated_unit("\n".join(generated["settings"]))]),
        ("The model", [generated_unit(text) for text in generated["model"]]),
        ("Data", [generated_unit(text) for text in generated["data"]]
         + _in_section(kept, parts, "Data sources")),
    ]
    if shapes:
        sections.append(("The built-in Shapes data set: CNN Studio's own generator "
                         f"({SHAPES_MODULE})", _in_section(kept, shapes, None)))
    sections += [("Batches for model.fit", _in_section(kept, parts, "Batches for model.fit")),
                 ("Training", [generated_unit(text) for text in generated["training"]]
                  + _in_section(kept, parts, "Training"))]
    header = _header(project, report, data, project_file, script_name)
    body = "\n\n\n".join(_section(title, units) for title, units in sections)
    return (f"{header}\n{_join(top)}\n\n\n{body}\n\n\n"
            f'if __name__ == "__main__":\n    main()\n')


def generated_unit(text: str) -> Unit:
    """A part written for this project, laid out like a definition."""
    return Unit(text, frozenset(), frozenset(), False, None, True, True)


def _in_section(kept: list[Unit], source: list[Unit], section: str | None) -> list[Unit]:
    ids = {id(u) for u in source}
    return [u for u in kept if id(u) in ids and u.binds and not u.is_import
            and (section is None or u.section == section)]


def _join(units: list[Unit]) -> str:
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


def _section(title: str, units: list[Unit]) -> str:
    rule = "# " + "-" * 75
    return f"{rule}\n# {title}\n{rule}\n{_join(units)}"


def _header(project: Project, report: ShapeReport, data: DatasetConfig,
            project_file: str | Path | None, script_name: str) -> str:
    """The shebang and the docstring: what the script is, where from, how to run it."""
    source = str(absolute(Path(project_file))) if project_file is not None else \
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
