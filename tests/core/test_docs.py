"""The README's catalogue table is the one generated from the catalogue."""

from pathlib import Path

from cnnstudio.core.catalogue import LAYER_TYPES
from cnnstudio.docs import catalogue_table, update_readme

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_catalogue_is_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert update_readme(text) == text, "run `make readme` to regenerate the table"


def test_table_has_every_layer_once():
    table = catalogue_table()
    for name in LAYER_TYPES:
        assert table.count(f"| `{name}` |") == 1


def test_the_readmes_project_examples_load_and_are_valid():
    import json
    import re

    from cnnstudio.core import infer, project_from_dict

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    projects = [project_from_dict(doc) for doc in examples if "layers" in doc]
    assert projects and any(p.is_graph for p in projects)
    assert all(infer(p).valid for p in projects)


def test_the_readme_answers_the_learner_questions_the_help_menu_lists():
    from cnnstudio.core.learner_questions import QUESTIONS

    text = README.read_text(encoding="utf-8")
    for question in QUESTIONS:
        assert question.question in text, question.question
