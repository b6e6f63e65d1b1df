"""A newcomer's way in: the welcome, the toolbar, the Help menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from cnnstudio.core.learner_questions import QUESTIONS
from cnnstudio.ui.window import help_menu
from cnnstudio.ui.window.main_window import WELCOME_KEY


def buttons_of(widget) -> dict[str, QPushButton]:
    return {b.text(): b for b in widget.findChildren(QPushButton)}


def test_the_welcome_names_the_pages_and_offers_three_starts(make_window, qtbot):
    window = make_window()
    window.offer_welcome()
    card = window.welcome
    assert card.isVisible()
    text = " ".join(label.text() for label in card.findChildren(QLabel))
    for page in ("Design", "Data", "Train", "Evaluate", "Runs"):
        assert f"<b>{page}</b>" in text
    qtbot.mouseClick(buttons_of(card)["Start from an empty project"], Qt.LeftButton)
    assert not card.isVisible() and window.editor.project.layers == ()
    assert window.settings.value(WELCOME_KEY, True, bool)  # still shown at the next start


def test_the_welcome_can_be_turned_off_and_found_again_in_help(make_window, qtbot):
    window = make_window()
    window.offer_welcome()
    window.welcome.show_at_start.setChecked(False)
    qtbot.mouseClick(buttons_of(window.welcome)["Close"], Qt.LeftButton)
    assert not window.settings.value(WELCOME_KEY, True, bool)
    window.offer_welcome()
    assert not window.welcome.isVisible()
    menu = {a.text().replace("&", ""): a for a in window.menuBar().actions()}["Help"].menu()
    actions = {a.text().replace("&", ""): a for a in menu.actions()}
    assert {"Welcome", "Keyboard Shortcuts", "Questions Learners Ask",
            "About CNN Studio"} <= set(actions)
    window.show_page("Data")
    actions["Welcome"].trigger()
    assert window.welcome.isVisible() and window.pages.currentWidget() is window.design
    window.show_page("Train")  # another page: the welcome does not cover it
    assert not window.welcome.isVisible()


def test_the_toolbar_has_the_first_hours_commands(make_window, monkeypatch):
    window = make_window()
    tools = window.tool_actions
    assert list(tools) == ["New", "Open", "Save", "Undo", "Redo", "Train", "Stop"]
    assert tools["Train"].isEnabled() and not tools["Stop"].isEnabled()
    assert not tools["Undo"].isEnabled()
    window.design.stack.select_rows([0])
    window.design.stack.delete_selected()
    assert tools["Undo"].isEnabled()
    tools["Undo"].trigger()
    assert tools["Redo"].isEnabled() and len(window.editor.project.layers) == 8
    started = []
    monkeypatch.setattr(window.train_page, "train", lambda *a, **k: started.append(True))
    tools["Train"].trigger()
    assert started == [True] and window.pages.currentWidget() is window.train_page
    window.train_page.train_button.setEnabled(False)  # as while a run goes on
    assert tools["Stop"].isEnabled() and not tools["Train"].isEnabled()


def test_each_learner_question_goes_to_its_answer(make_window, qtbot):
    window = make_window()
    dialog = help_menu.questions_dialog(window, window.show_page)
    buttons = [b for b in dialog.findChildren(QPushButton) if b.text().startswith("Show me")]
    assert len(buttons) == len(QUESTIONS)
    overfitting = next(b for b in buttons if "Overfitting" in b.text())
    qtbot.mouseClick(overfitting, Qt.LeftButton)
    page = window.pages.currentWidget()
    assert page is window.evaluate_page
    assert page.tabs.tabText(page.tabs.currentIndex()) == "Overfitting"


def test_about_names_the_versions_without_importing_tensorflow(make_window):
    found = help_menu.versions()
    assert {"TensorFlow", "Keras", "Qt", "Python", "CNN Studio"} <= set(found)
    assert found["TensorFlow"][0].isdigit() and found["Qt"][0].isdigit()
    text = help_menu.about_dialog(make_window()).findChild(QLabel).text()
    assert f"TensorFlow</td><td>{found['TensorFlow']}</td>" in text
    shortcuts = help_menu.shortcuts_dialog(make_window()).findChild(QLabel).text()
    assert "Ctrl+Y or Ctrl+Shift+Z" in shortcuts and "Ctrl+F" in shortcuts


def test_the_train_page_says_when_output_units_and_classes_differ_and_fixes_it(
        make_window, qtbot):
    from cnnstudio.core.templates import get_template

    window = make_window()  # the default example: 6 units for the 6 Shapes classes
    page = window.train_page
    assert not page.mismatch.isVisibleTo(page)
    window.editor.set_class_count(3)  # as when the Data page loads 3 classes
    assert page.mismatch.isVisibleTo(page)
    assert "The data has 3 classes but the output layer dense_1 has 6 units" in \
        page.mismatch.text()
    alexnet = make_window(get_template("alexnet").project)
    page = alexnet.train_page
    assert "has 1000 units: 994 of its outputs stand for no class" in page.mismatch.text()
    qtbot.mouseClick(page.mismatch_fix, Qt.LeftButton)
    assert alexnet.editor.project.layers[-1].params["units"] == 6
    assert not page.mismatch.isVisibleTo(page)
    assert alexnet.editor.undo_stack.undoText() == "Set units to 6"


def test_every_template_but_alexnet_fits_the_data_it_comes_with():
    from cnnstudio.core import infer
    from cnnstudio.core.dataset_config import dataset_config
    from cnnstudio.core.templates import list_templates

    for template in list_templates():
        classes = dataset_config(template.project.dataset).known_classes()
        units = infer(template.project).layers[-1].output_shape[-1] \
            if template.key != "inception_transfer" else 1
        fits = units == classes or (classes == 2 and units == 1)
        assert fits == (template.key != "alexnet"), (template.key, units, classes)
