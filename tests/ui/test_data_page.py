"""The Data page: each source chosen as a user would, previewed, summarised, tied to the model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from cnnstudio.core import edits
from tests.images import write_png
from tests.ui.conftest import save_screenshot


def choose(page, source):
    page.source.setCurrentIndex(page.source.findData(source))


def load(qtbot, page):
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.load_button.click()
    return page.data


def thumbnails(page):
    return [w for w in page.grid_host.findChildren(QLabel) if w.pixmap() and
            not w.pixmap().isNull()]


def test_shapes_preview_summary_and_class_hint(make_window, qtbot):
    window = make_window()
    page = window.data_page
    window.page_actions[1].trigger()
    page.count.setValue(600)
    assert window.editor.project.dataset["count"] == 600
    data = load(qtbot, page)
    assert len(data.x_train) == 600
    assert "600</b> training images of 28x28x1" in page.summary.text()
    assert "circle 100" in page.summary.text()
    assert len(thumbnails(page)) == 24
    assert list(page.bars.opts["height"]) == [100] * 6 and page.histogram.isVisible()
    breakdown = "<b>540</b> train · 60 validate (validation_split 0.1) · 60 test (drawn apart)"
    assert breakdown in page.arithmetic.text()
    window.page_actions[2].trigger()
    assert breakdown in window.train_page.arithmetic.text()  # one breakdown, both pages
    window.page_actions[1].trigger()
    assert "ceil(540 / 64) = 9 iterations" in page.arithmetic.text()
    assert not [h.title for h in window.editor.hints]  # 6 units for the 6 classes
    page.count.setValue(400)  # changed, not loaded yet: the numbers follow the setting
    assert "<b>360</b> train · 40 validate" in page.arithmetic.text()
    page.count.setValue(600)
    window.editor.set_class_count(4)  # as a data set of 4 classes would
    hints = [h.title for h in window.editor.hints]
    assert "6 output units for 4 classes" in hints
    save_screenshot(window, "data_shapes.png")


def test_npz_source_with_one_hot_labels_suggests_the_loss(make_window, qtbot, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.random.default_rng(0).integers(0, 255, (40, 12, 12)),
             y_train=np.eye(4)[np.arange(40) % 4])
    window = make_window()
    window.editor.edit("loss", edits.set_training, {"loss": "sparse_categorical_crossentropy"})
    page = window.data_page
    choose(page, "npz")
    page.path.setText(str(path))
    page.path.editingFinished.emit()
    assert window.editor.project.dataset["path"] == str(path)
    load(qtbot, page)
    assert "labels: one-hot" in page.summary.text()
    assert not page.fix_loss.isHidden()
    page.fix_loss.click()
    assert window.editor.project.training["loss"] == "categorical_crossentropy"
    # A new project's input follows the data without asking, as one undo step.
    assert window.editor.project.input_shape == (12, 12, 1)
    assert page.fix_input.isHidden()


def test_an_input_the_user_set_changes_only_when_they_agree(make_window, qtbot, tmp_path,
                                                            dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    from cnnstudio.core import edits

    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((30, 16, 16, 3), np.uint8), y_train=np.arange(30) % 3)
    window = make_window()
    editor, page = window.editor, window.data_page
    editor.edit("Set input", edits.set_input_shape, [20, 20, 3])  # the user's own choice
    assert not editor.input_follows_data
    choose(page, "npz")
    page.path.setText(str(path))
    page.path.editingFinished.emit()
    dialog_answers.append(QMessageBox.No)
    load(qtbot, page)
    assert editor.project.input_shape == (20, 20, 3)  # kept
    assert not page.fix_input.isHidden()
    assert "images are 16x16x3 but the model's input is 20x20x3" in page.fix_input.text()
    assert page.fix_size.isHidden()  # an .npz cannot be loaded at another size
    dialog_answers.append(QMessageBox.Yes)
    load(qtbot, page)
    assert editor.project.input_shape == (16, 16, 3)
    assert page.fix_input.isHidden()
    editor.undo_stack.undo()
    assert editor.project.input_shape == (20, 20, 3)


def test_folder_images_can_be_loaded_at_the_size_the_user_fixed(make_window, qtbot, tmp_path,
                                                                 dialog_answers):
    from PySide6.QtWidgets import QMessageBox

    from cnnstudio.core import edits

    for name in ("a", "b"):
        for i in range(3):
            write_png(tmp_path / "f" / name / f"{i}.png", np.full((40, 30, 3), 50 * i))
    window = make_window()
    editor, page = window.editor, window.data_page
    editor.edit("Set input", edits.set_input_shape, [24, 24, 3])
    choose(page, "folder")
    page.path.setText(str(tmp_path / "f"))
    page.path.editingFinished.emit()
    dialog_answers.append(QMessageBox.No)
    load(qtbot, page)  # loaded at the page's 28x28x1
    assert not page.fix_size.isHidden()
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.fix_size.click()
    assert editor.project.dataset["image_size"] == [24, 24]
    assert editor.project.dataset["channels"] == 3
    assert page.data_input_shape() == (24, 24, 3) and page.fix_input.isHidden()


def test_augmentation_is_chosen_on_the_page_and_previewed(make_window, qtbot):
    window = make_window()
    window.page_actions[1].trigger()
    page = window.data_page
    page.count.setValue(60)
    load(qtbot, page)
    box = page.augmentation
    box.checks["RandomFlip"].setChecked(True)
    box.checks["RandomRotation"].setChecked(True)
    assert [a["type"] for a in window.editor.project.dataset["augmentation"]] == \
        ["RandomFlip", "RandomRotation"]
    qtbot.waitUntil(lambda: page.augmented_row.count() == 8, timeout=30_000)
    pixmaps = [page.augmented_row.itemAt(i).widget().pixmap().toImage() for i in range(8)]
    assert len({p.bits().tobytes() for p in pixmaps}) > 1  # random: not all the same
    rotation = box.fields["RandomRotation"][0]
    rotation.edited.emit(0.25)
    assert window.editor.project.dataset["augmentation"][1]["params"]["factor"] == 0.25
    save_screenshot(window, "data_augmentation.png")
    box.checks["RandomFlip"].setChecked(False)
    box.checks["RandomRotation"].setChecked(False)
    assert "augmentation" not in window.editor.project.dataset
    assert page.augmented_row.count() == 0 and page.augmented_title.isHidden()
    window.editor.undo_stack.undo()
    assert box.checks["RandomRotation"].isChecked()


def test_folder_source_counts_skipped_files(make_window, qtbot, tmp_path):
    for name in ("cats", "dogs"):
        for i in range(5):
            write_png(tmp_path / "pets" / name / f"{i}.png", np.full((20, 20, 3), 40 * i))
    (tmp_path / "pets" / "cats" / "readme.txt").write_text("not an image")
    window = make_window()
    page = window.data_page
    choose(page, "folder")
    page.path.setText(str(tmp_path / "pets"))
    page.path.editingFinished.emit()
    load(qtbot, page)
    assert "cats 5, dogs 5" in page.summary.text()
    assert "1 files skipped" in page.summary.text()
    assert len(thumbnails(page)) == 10


def test_keras_source_from_a_temporary_cache(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros((30, 28, 28), np.uint8),
             y_train=np.arange(30) % 10, x_test=np.zeros((5, 28, 28), np.uint8),
             y_test=np.arange(5))
    window = make_window()
    page = window.data_page
    choose(page, "keras")
    load(qtbot, page)
    assert "30</b> training images" in page.summary.text() and "5 test images" in \
        page.summary.text()


@pytest.mark.parametrize("source", ["npz", "folder"])
def test_missing_path_gives_a_message_and_the_page_still_works(make_window, qtbot, tmp_path,
                                                               source):
    window = make_window()
    page = window.data_page
    choose(page, source)
    page.path.setText(str(tmp_path / "nothing"))
    page.path.editingFinished.emit()
    page.load_button.click()
    qtbot.waitUntil(lambda: page.task is None, timeout=10_000)
    assert "not found" in page.error.text()
    assert page.load_button.isEnabled()


def test_bad_value_is_refused_inline(make_window):
    window = make_window()
    page = window.data_page
    choose(page, "npz")  # no path yet
    assert "dataset.path" in page.error.text() or "path" in page.error.text()
    assert window.editor.project.dataset.get("source", "shapes") == "shapes"


@pytest.mark.slow
def test_window_stays_responsive_while_10000_images_are_scanned(make_window, qtbot, tmp_path):
    """The scan runs in a worker: the window's event loop keeps turning between two of its
    progress reports (an order, not a time: timing belongs in the benchmarks)."""
    from PySide6.QtCore import QTimer

    tiny = write_png(tmp_path / "one.png", np.zeros((4, 4))).read_bytes()
    for c in range(4):
        folder = tmp_path / "many" / f"class{c}"
        folder.mkdir(parents=True)
        for i in range(2500):
            (folder / f"{i}.png").write_bytes(tiny)
    window = make_window()
    page = window.data_page
    choose(page, "folder")
    page.path.setText(str(tmp_path / "many"))
    page.path.editingFinished.emit()
    seen: list = []  # "tick" from the GUI thread's timer, or a progress value, in order
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: seen.append("tick"))
    timer.start()
    page.progress.valueChanged.connect(seen.append)
    data = load(qtbot, page)
    timer.stop()
    assert len(data.files) == 10_000
    progress = [n for n, item in enumerate(seen) if item != "tick"]
    assert progress and seen[progress[-1]] == 10_000
    assert "tick" in seen[progress[0]:progress[-1]]  # the loop turned while the scan ran


def test_loaded_data_is_shared_with_the_train_and_evaluate_pages(make_window, qtbot):
    """The window's one LoadedData: the Data page fills it, the others read it (no page
    reaches into another), and it holds only for the configuration it was loaded with."""
    from cnnstudio.core.dataset_config import dataset_config

    window = make_window()
    data = load(qtbot, window.data_page)
    shared = window.loaded_data
    assert window.train_page.loaded_data is shared and window.evaluate_page.loaded_data is shared
    config = dataset_config(window.editor.project.dataset)
    assert shared.data_for(config) is data
    assert shared.train_count() == len(data.x_train) and shared.class_names == data.class_names
    other = dataset_config({**window.editor.project.dataset, "seed": 99})
    assert shared.data_for(other) is None


def test_the_sample_grid_and_the_class_histogram_save_as_png(make_window, qtbot, tmp_path,
                                                             monkeypatch):
    from tests.ui.conftest import save_through_action

    window = make_window()
    page = window.data_page
    window.page_actions[1].trigger()
    page.count.setValue(120)
    load(qtbot, page)
    assert thumbnails(page)
    qtbot.wait(50)  # the grid is laid out on the next turn, as on screen
    save_through_action(page.save_actions["samples"], page.grid_host, tmp_path / "s.png",
                        monkeypatch)
    save_through_action(page.save_actions["classes"], page.histogram, tmp_path / "c.png",
                        monkeypatch)
    assert "Saved" in window.statusBar().currentMessage()
