"""Each architecture hint fires where it should, says why, and its fix works."""

from __future__ import annotations

from cnnstudio.core import infer, project_from_dict
from cnnstudio.core.hints import architecture_hints


def hints_for(input_shape, *layers, class_count=None):
    project = project_from_dict({"input": {"shape": list(input_shape)}, "layers": [
        {"type": t, "params": p} for t, p in layers]})
    return project, architecture_hints(project, infer(project), class_count)


def titles(hints):
    return [(h.index, h.title) for h in hints]


def apply_fix(project, hint):
    fixed = hint.fix.apply(project)
    return fixed, architecture_hints(fixed, infer(fixed))


def test_even_kernel_and_its_fix():
    project, hints = hints_for((28, 28, 1), ("Conv2D", {"filters": 4, "kernel_size": 4}))
    assert titles(hints) == [(0, "Even kernel size 4x4")]
    assert "centre pixel" in hints[0].why
    fixed, after = apply_fix(project, hints[0])
    assert fixed.layers[0].params["kernel_size"] == 5 and after == []


def test_high_dropout_rate():
    project, hints = hints_for((10,), ("Dropout", {"rate": 0.8}), ("Dense", {"units": 4}))
    assert (0, "Dropout rate 0.8 is above 0.5") in titles(hints)


def test_big_dense_after_flatten_without_downsampling():
    project, hints = hints_for((64, 64, 3), ("Conv2D", {"filters": 16, "kernel_size": 3,
                                                        "padding": "same"}),
                               ("Flatten", {}), ("Dense", {"units": 10,
                                                           "activation": "softmax"}))
    found = titles(hints)
    assert (1, "No down-sampling before Flatten") in found
    assert (1, "Flatten gives 65,536 values") in found
    assert (2, "Dense on 65,536 values") in found
    gap = next(h for h in hints if h.title.startswith("Flatten gives"))
    fixed, after = apply_fix(project, gap)
    assert fixed.layers[1].type == "GlobalAveragePooling2D"
    assert infer(fixed).layers[2].params == 16 * 10 + 10


def test_output_activation_mismatches():
    project, hints = hints_for((8,), ("Dense", {"units": 1, "activation": "softmax"}))
    assert titles(hints) == [(0, "softmax over one unit")]
    fixed, after = apply_fix(project, hints[0])
    assert fixed.layers[0].params["activation"] == "sigmoid" and after == []
    _, hints = hints_for((8,), ("Dense", {"units": 5, "activation": "sigmoid"}))
    assert titles(hints) == [(0, "sigmoid with 5 units")]


def test_class_count_mismatch():
    project, hints = hints_for((8,), ("Dense", {"units": 10, "activation": "softmax"}),
                               class_count=4)
    assert titles(hints) == [(0, "10 output units for 4 classes")]
    assert hints[0].fix.apply(project).layers[0].params["units"] == 4


def test_dense_output_on_an_image_suggests_flatten():
    project, hints = hints_for((5, 5, 3), ("Dense", {"units": 10}))
    assert titles(hints) == [(0, "The output layer gets a multi-axis tensor")]
    fixed, _ = apply_fix(project, hints[0])
    assert [layer.type for layer in fixed.layers] == ["Flatten", "Dense"]
    assert infer(fixed).output_shape == (None, 10)


def test_no_template_carries_a_hint_on_the_data_it_comes_with():
    """The templates follow their papers (dropout before the classifier in AlexNet, VGG
    and the Keras MNIST example is right), so none may carry an architecture hint; a
    hint on the class count is about the data, not the architecture."""
    from cnnstudio.core.templates import list_templates

    for template in list_templates():
        project = template.project
        hints = architecture_hints(project, infer(project))
        assert titles(hints) == [], template.key


def test_keras_build_only_problems_are_hints_not_errors():
    project, hints = hints_for((4, 7), ("Dropout", {"rate": 0.2, "noise_shape": [None, 1, 5]}),
                               ("RandomFlip", {}))
    assert infer(project).valid
    assert {t for _, t in titles(hints)} >= {"noise_shape does not fit",
                                             "RandomFlip on a tensor that is not an image"}


def test_no_hints_on_a_clean_stack():
    _, hints = hints_for((28, 28, 1), ("Conv2D", {"filters": 8, "kernel_size": 3}),
                         ("MaxPooling2D", {}), ("Flatten", {}),
                         ("Dense", {"units": 10, "activation": "softmax"}))
    assert hints == []


def test_fix_buttons_never_lead_to_another_error():
    """'Reduce kernel_size' picks an odd size, the even-kernel hint offers an odd size that
    fits, and every offered fix is tried on the shape engine first."""
    from cnnstudio.core import infer, project_from_dict
    from cnnstudio.core import edits
    from cnnstudio.core.fixes import Fix, first_error, fixes_for, sound_fixes

    too_big = project_from_dict({"input": {"shape": [12, 12, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 4, "kernel_size": 13}},
        {"type": "Flatten"}, {"type": "Dense", "params": {"units": 2}}]})
    report = infer(too_big)
    fixes = fixes_for(too_big, report, 0)
    labels = [fix.label for fix in fixes]
    assert "Reduce kernel_size to 11" in labels and "Use padding='same'" in labels
    for fix in fixes:
        fixed = fix.apply(too_big)
        assert first_error(infer(fixed)) is None, fix.label
        assert not any(h.title.startswith("Even kernel")
                       for h in architecture_hints(fixed, infer(fixed)))
    even = project_from_dict({"input": {"shape": [12, 12, 1]}, "layers": [
        {"type": "Conv2D", "params": {"filters": 4, "kernel_size": 12}},
        {"type": "Flatten"}, {"type": "Dense", "params": {"units": 2}}]})
    (hint,) = [h for h in architecture_hints(even, infer(even)) if h.title.startswith("Even")]
    assert hint.fix is not None and hint.fix.label == "Use kernel_size 11x11"  # 13 would not fit
    assert sound_fixes(even, infer(even), [hint.fix]) == [hint.fix]
    widen = Fix("Use kernel_size 13", lambda p: edits.set_param(p, 0, "kernel_size", 13))
    assert sound_fixes(even, infer(even), [widen]) == []  # would break the valid stack
