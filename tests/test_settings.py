"""The table of settings (fastgd.training.settings): written once, every reader agrees."""

import inspect

import pytest

import fastgd
from fastgd.cli import build_parser
from fastgd.sweeps import grid
from fastgd.training import checkpoint
from fastgd.training import settings as _settings

from conftest import make_data


@pytest.mark.parametrize("cls, of", [(fastgd.Network, "network"), (fastgd.Trainer, "trainer")])
def test_the_signatures_are_the_tables(cls, of):
    """Network's and Trainer's keywords, and their defaults, are the table's settings of each."""
    parameters = dict(inspect.signature(cls.__init__).parameters)
    parameters.pop("self")
    if of == "network":
        parameters.pop("seed")  # (seeds the draw; the table's seed is the run's, the trainer's)
    else:
        parameters.pop("network")
    table = {s.name: s for s in _settings.SETTINGS if s.of == of}
    assert list(parameters) == list(table)
    for name, parameter in parameters.items():
        expected = inspect.Parameter.empty if table[name].required else table[name].default
        assert parameter.default == expected, name


def test_trainer_checks_each_setting_with_the_tables_check():
    net = fastgd.Network([3, 2], seed=0)
    for setting in _settings.TRAINER:
        if setting.required or setting.name in ("checkpoint_path",):
            continue
        bad = "no such value" if setting.default is not None else -5
        with pytest.raises((ValueError, TypeError), match=setting.name):
            fastgd.Trainer(net, eta=1.0, mini_batch_size=2, epochs=1, **{setting.name: bad})


def test_the_sweep_takes_the_settings_a_run_may_set():
    assert set(grid.PARAMETERS) == {s.name for s in _settings.SETTINGS if not s.sweep}
    assert set(grid.REQUIRED) == {"sizes", "eta", "mini_batch_size", "epochs"}
    for name in ("verbose", "checkpoint_every", "checkpoint_path", "output"):
        assert name in grid.NOT_SWEPT


def test_the_command_line_has_an_option_for_every_setting_with_a_flag():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for command in ("train", "sweep"):
        destinations = {action.dest for action in commands[command]._actions}
        for setting in _settings.SETTINGS:
            if setting.flag:
                assert setting.name in destinations, (command, setting.name)
    args = parser.parse_args(["sweep", "--activation", "relu", "tanh", "--eta", "0.1", "0.5"])
    assert args.activation == ["relu", "tanh"] and args.eta == [0.1, 0.5]


def test_checkpoints_of_older_versions_get_the_tables_earlier_values():
    assert _settings.defaults_before() == {
        "cost": "quadratic",
        "lmbda": 0.0,
        "penalty": "l2",
        "momentum": 0.0,
        "nesterov": False,
        "dropout": 0.0,
        "input_dropout": 0.0,
        "augment": None,
    }
    assert checkpoint.defaults_before is _settings.defaults_before


def test_a_sweep_run_leaving_a_default_out_is_the_run_naming_it():
    """Records of an older version named fewer settings: the same run either way."""
    assert grid.run_key({"sizes": [2, 2], "eta": 1.0, "cost": "quadratic"}) == grid.run_key(
        {"sizes": [2, 2], "eta": 1.0}
    )
    assert grid.run_key({"sizes": [2, 2], "eta": 1.0, "activation": "relu"}) != grid.run_key(
        {"sizes": [2, 2], "eta": 1.0}
    )


def test_activation_in_a_sweep_grid_gives_the_solo_fit():
    from concurrent.futures import ThreadPoolExecutor

    X, labels, _ = make_data(200, [10, 6, 3], seed=1)
    result = fastgd.sweep(
        {"activation": ["relu", "tanh"], "cost": ["cross_entropy", "log_likelihood"]},
        (X, labels),
        test_data=(X, labels),
        executor=ThreadPoolExecutor(2),
        verbose=0,
        sizes=[10, 6, 3],
        eta=0.3,
        mini_batch_size=10,
        epochs=2,
        seed=3,
        init="scaled",
    )
    assert len(result.records) == 4 and not result.failed
    for record in result.records:
        settings = record["settings"]
        cost = settings["cost"]
        net = fastgd.Network(
            [10, 6, 3],
            seed=3,
            init="scaled",
            activation=settings["activation"],
            output=fastgd.costs.get(cost).output,
        )
        history = fastgd.Trainer(
            net, eta=0.3, mini_batch_size=10, epochs=2, seed=3, cost=cost, verbose=0, n_threads=1
        ).fit(X, labels, test_data=(X, labels))
        assert record["history"]["test_accuracy"] == history.test_accuracy
