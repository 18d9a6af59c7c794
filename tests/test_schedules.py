"""Schedules of the learning rate (fastgd.callbacks): the book's rule on a scripted validation
sequence, a schedule as a function of the epoch, and their checks."""

import pytest

import fastgd
import fastgd.callbacks

from conftest import make_data


class Scripted(fastgd.callbacks.Callback):
    """Replaces each epoch's validation accuracy by a scripted one, before the schedule sees
    the logs."""

    def __init__(self, scores):
        self.scores = scores

    def on_epoch_end(self, epoch, logs, trainer):
        logs["validation_accuracy"] = self.scores[epoch]


def test_the_books_rule_halves_eta_after_n_epochs_without_improvement_and_stops_at_1_128():
    from fastgd.callbacks import ReduceOnPlateau

    X, labels, _ = make_data(40, [4, 3, 2], seed=1)
    # Improves for 3 epochs, then never again: a cut every 2 epochs after epoch 2.
    scores = [0.1, 0.2, 0.3] + [0.25] * 40
    rule = ReduceOnPlateau(patience=2, verbose=False)
    trainer = fastgd.Trainer(
        fastgd.Network([4, 3, 2], seed=0), eta=1.0, mini_batch_size=5, epochs=40, verbose=0
    )
    history = trainer.fit(
        X, labels, validation_data=(X, labels), callbacks=[Scripted(scores), rule]
    )
    # Epochs 0-4 at 1.0 (the cut after epoch 4), then halved every two epochs until 1/128.
    assert rule.eta_history == [1.0] * 5 + [2.0**-k for k in range(1, 7) for _ in (0, 1)]
    assert trainer.eta == 1 / 128
    assert history.stopped_early and len(history.epoch) == 17
    # An improvement resets the count.
    rule = ReduceOnPlateau(patience=2, verbose=False)
    scores = [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3]
    fastgd.Trainer(
        fastgd.Network([4, 3, 2], seed=0), eta=1.0, mini_batch_size=5, epochs=8, verbose=0
    ).fit(X, labels, validation_data=(X, labels), callbacks=[Scripted(scores), rule])
    assert rule.eta_history == [1.0] * 7 + [0.5]


def test_a_schedule_sets_eta_before_each_epoch_and_is_checked():
    from fastgd.callbacks import LearningRateSchedule

    X, labels, _ = make_data(40, [4, 3, 2], seed=1)
    seen = []
    trainer = fastgd.Trainer(
        fastgd.Network([4, 3, 2], seed=0), eta=1.0, mini_batch_size=5, epochs=4, verbose=0
    )
    trainer.fit(
        X,
        labels,
        callbacks=[
            LearningRateSchedule(lambda epoch: 0.5**epoch),
            lambda epoch, logs, t: seen.append(t.eta),
        ],
    )
    assert seen == [1.0, 0.5, 0.25, 0.125]
    with pytest.raises(ValueError, match="a callback set trainer.eta: eta must be"):
        fastgd.Trainer(
            fastgd.Network([4, 3, 2], seed=0), eta=1.0, mini_batch_size=5, epochs=4, verbose=0
        ).fit(X, labels, callbacks=[LearningRateSchedule(lambda epoch: 1.0 - epoch)])
    with pytest.raises(TypeError, match="schedule must be a function of the epoch"):
        LearningRateSchedule(0.5)


def test_the_books_rule_needs_what_it_monitors():
    from fastgd.callbacks import ReduceOnPlateau

    X, labels, _ = make_data(40, [4, 3, 2], seed=1)
    trainer = fastgd.Trainer(
        fastgd.Network([4, 3, 2], seed=0), eta=1.0, mini_batch_size=5, epochs=2, verbose=0
    )
    with pytest.raises(ValueError, match="pass validation_data to fit"):
        trainer.fit(X, labels, callbacks=[ReduceOnPlateau()])
    for bad, match in (
        (dict(patience=0), "patience"),
        (dict(factor=1.0), "factor"),
        (dict(min_fraction=0), "min_fraction"),
        (dict(mode="up"), "mode"),
    ):
        with pytest.raises(ValueError, match=match):
            ReduceOnPlateau(**bad)
