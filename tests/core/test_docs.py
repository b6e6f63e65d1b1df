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
