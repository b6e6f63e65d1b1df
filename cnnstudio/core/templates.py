"""Built-in templates: project files under cnnstudio/resources/templates, each with a description."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from cnnstudio.core.inference import infer
from cnnstudio.core.project import Project
from cnnstudio.core.project_file import load_project
from cnnstudio.core.resources import templates_dir

SUFFIX = ".cnnstudio.json"


@dataclass(frozen=True)
class Template:
    key: str  # file name without the suffix: "mnist_cnn"
    path: Path
    project: Project

    @property
    def title(self) -> str:
        return self.project.name

    @property
    def description(self) -> str:
        return str(self.project.extra.get("description", ""))

    def parameters_text(self, bases: Mapping[str, Any]) -> str:
        """'1,199,366 parameters', or, while a pre-trained base has not been measured on
        this machine (Keras measures it when the project is first opened), 'parameters:
        computing…' rather than a count without the base."""
        report = infer(self.project, bases)
        if report.pending is not None:
            return f"parameters: computing… (the {report.pending.name} base is measured " \
                   "by Keras when the project opens)"
        return f"{report.total_params:,} parameters"


def list_templates() -> list[Template]:
    found = []
    for path in sorted(templates_dir().glob(f"*{SUFFIX}")):
        found.append(Template(path.name[: -len(SUFFIX)], path, load_project(path)))
    return found


def get_template(key: str) -> Template:
    for template in list_templates():
        if template.key == key:
            return template
    names = ", ".join(t.key for t in list_templates())
    raise KeyError(f"no template {key!r}; the templates are: {names}")
