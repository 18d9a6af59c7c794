"""A sweep's runs: the grid expanded into settings, each checked by building its Network and
Trainer, in canonical plain values that identify the run in a results file."""

import itertools
import json

from .. import costs
from ..network import Network
from ..training import settings as _settings
from ..training.trainer import Trainer

# A sweep's parameters are the settings of fastgd.training.settings that a run may set; seed
# seeds both the network's weights and the shuffling, as `fastgd train --seed` does.
NETWORK_PARAMETERS = tuple(s.name for s in _settings.NETWORK if not s.sweep)
TRAINER_PARAMETERS = tuple(s.name for s in _settings.TRAINER if not s.sweep and s.name != "seed")
PARAMETERS = NETWORK_PARAMETERS + ("seed",) + TRAINER_PARAMETERS
REQUIRED = tuple(s.name for s in _settings.SETTINGS if s.required)
# Settings a sweep sets itself or that would clash between runs, and why.
NOT_SWEPT = {s.name: s.sweep for s in _settings.SETTINGS if s.sweep} | {
    "network": "each run builds its Network from sizes, dtype, init and seed",
}


class SweepError(RuntimeError):
    """A sweep that cannot go on for a reason outside its runs (its Dask cluster is gone)."""


def expand(grid, fixed=None):
    """The runs of grid (a dict from parameter to a list of values: every combination; or a
    list of dicts: exactly those) with the settings of fixed added to each: a list of dicts,
    each checked (names here, values by sweep)."""
    fixed = dict(fixed or {})
    if isinstance(grid, dict):
        for name, values in grid.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}")
        names = list(grid)
        runs = [
            dict(zip(names, combination))
            for combination in itertools.product(*(list(grid[n]) for n in names))
        ]
    elif isinstance(grid, (list, tuple)):
        runs = []
        for i, run in enumerate(grid):
            if not isinstance(run, dict):
                raise ValueError(f"grid[{i}] must be a dict of settings, got {run!r}")
            runs.append(dict(run))
    else:
        raise ValueError(
            f"grid must be a dict of lists or a list of dicts, got {type(grid).__name__}"
        )
    if not runs:
        raise ValueError("the grid holds no runs")
    for run in runs:
        for name in set(run) & set(fixed):
            raise ValueError(f"{name!r} is both in the grid and fixed; give it in one place")
        run.update(fixed)
        _check_names(run)
    return runs


def _check_names(run):
    for name in run:
        if name in NOT_SWEPT:
            raise ValueError(f"{name!r} cannot be set for a sweep's runs: {NOT_SWEPT[name]}")
        if name not in PARAMETERS:
            raise ValueError(
                f"unknown parameter {name!r}; a sweep's parameters are {', '.join(PARAMETERS)}"
            )
    missing = [name for name in REQUIRED if name not in run]
    if missing:
        raise ValueError(
            f"every run needs {', '.join(REQUIRED)}; missing "
            f"{', '.join(missing)} (in the grid or as a keyword of sweep)"
        )


def _network_options(settings):
    """Network's keywords of a run's settings, its output layer the one the cost pairs with."""
    options = {k: settings[k] for k in NETWORK_PARAMETERS if k in settings}
    options["output"] = costs.get(settings.get("cost", "quadratic")).output
    return options


def build(settings, threads, **trainer_options):
    """The Network and Trainer of a run's settings, on threads threads unless the settings name
    n_threads: exactly what a solo fit with these settings builds (trainer_options: what the
    sweep itself adds, a rung's checkpoint)."""
    seed = settings.get("seed")
    net = Network(seed=seed, **_network_options(settings))
    options = {k: settings[k] for k in TRAINER_PARAMETERS if k in settings}
    options.setdefault("n_threads", threads)
    # (on_interrupt="stop": the run's Ctrl-C is the sweep's, which stops all its runs.)
    trainer = Trainer(net, seed=seed, verbose=0, on_interrupt="stop", **options, **trainer_options)
    return net, trainer


def canonical(settings, threads=1, networks=None):
    """The settings as plain JSON values, checked by building the run's Trainer (a bad value
    raises ValueError or TypeError naming it): what identifies the run in a results file.
    networks, a dict, keeps the Network built for each architecture (sizes, dtype, init) to
    check the runs that share it: a grid of many runs draws each architecture's weights once,
    not once per run."""
    architecture = _network_options(settings)
    key = repr(sorted(architecture.items()))
    net = networks.get(key) if networks is not None else None
    if net is None:
        # (The seed does not change what is checked: the trainer checks it below.)
        net = Network(seed=0, **architecture)
        if networks is not None:
            networks[key] = net
    options = {k: settings[k] for k in TRAINER_PARAMETERS if k in settings}
    options.setdefault("n_threads", threads)
    trainer = Trainer(net, seed=settings.get("seed"), verbose=0, **options)
    plain = {
        "sizes": list(net.sizes),
        "dtype": net.dtype.name,
        "init": net.init,
        "seed": trainer.seed,
    }
    if "activation" in settings:
        # (One name when every hidden layer has it: what a table of runs shows.)
        names = net.activation
        if not names:  # (no hidden layer: the name as checked)
            plain["activation"] = _settings.check("activation", settings["activation"])
        else:
            plain["activation"] = names[0] if len(set(names)) == 1 else list(names)
    for name in TRAINER_PARAMETERS:
        if name in settings:
            plain[name] = getattr(trainer, name)
    return plain


def run_key(settings):
    """The identity of a run: its canonical settings as one JSON text, without those at their
    defaults (fastgd.training.settings), so that a run that names a default is the run that
    leaves it out: records of an older version, which named fewer settings, still match."""
    plain = {k: v for k, v in settings.items() if not _at_default(k, v)}
    return json.dumps(plain, sort_keys=True)


def _at_default(name, value):
    setting = _settings.BY_NAME.get(name)
    if setting is None or setting.required:
        return False
    return json.dumps(value) == json.dumps(setting.default)


def setting_value(setting, name):
    """A setting's value in a run's settings, its default when the run leaves it out."""
    if name in setting:
        return setting[name]
    known = _settings.BY_NAME.get(name)
    return known.default if known is not None and not known.required else "-"


def varying_keys(settings):
    """The settings' keys whose values differ between the rows (all keys if one row)."""
    keys = sorted({k for s in settings for k in s})
    differ = [k for k in keys if len({json.dumps(setting_value(s, k)) for s in settings}) > 1]
    return differ or keys
