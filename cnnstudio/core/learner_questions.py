"""The questions learners ask about CNNs, and where CNN Studio shows each answer: the Help
menu lists them (with a button to the place), and the README's list is checked against
this one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    question: str
    page: str  # the page that shows the answer: Design, Data, Train, Evaluate or Runs
    tab: str | None  # the tab of that page, where it has tabs
    where: str  # what to look at there, in one sentence


QUESTIONS = (
    Question("Why does my shape go negative?", "Design", None,
             "Select the red layer: the explanation writes out the output size, e.g. "
             "(3 - 5 + 2*0)/1 + 1 = -1, and offers fixes (padding='same', a smaller kernel)."),
    Question("Why is AlexNet's first output 55?", "Design", None,
             "Open the AlexNet template and select its first layer: "
             "(227 - 11 + 2*0)/4 + 1 = 55."),
    Question("Does Flatten's output change while training?", "Evaluate", "Feature maps",
             "Scrub through the epochs on a trained run: Flatten has no weights, yet its output "
             "changes as the layers before it learn."),
    Question("Does backpropagation reach the layers before Flatten?", "Evaluate",
             "Layer dynamics",
             "Every layer with weights shows how far its weights moved each epoch: the "
             "convolutions before Flatten move too."),
    Question("Which layers does Dropout affect?", "Evaluate", "Dropout",
             "On a trained run, pick a Dropout layer: the values it zeroes in training and "
             "keeps at inference, for one image; it touches only the values flowing through "
             "it."),
    Question("What are epochs, iterations and batches, in numbers?", "Data", None,
             "After Load and preview, 'Epochs, iterations, batches' counts them for the data "
             "set and the batch size; the Train page shows the same for a run."),
    Question("Is my model overfitting?", "Evaluate", "Overfitting",
             "After a run: training against validation loss, the best epoch and the gap, "
             "with what to try."),
)
