"""Successive halving: every run trains a few epochs, the best 1/factor go on, and so on; each run
continues from its own checkpoint, so that its History is the solo fit's first epochs."""

from .grid import run_key
from .report import Reporter


def check_halving(settings, data):
    epochs = {run["epochs"] for run in settings}
    if len(epochs) > 1:
        raise ValueError(
            f"halving needs the same epochs for every run (the last rung's), got {sorted(epochs)}"
        )
    if min(epochs) < 1:
        raise ValueError("halving needs epochs of at least 1: its rungs train 1 epoch or more")
    if data.named:
        scored = data.parts[1] or data.parts[2]
    else:
        scored = data.parts[1] is not None or data.parts[2] is not None
    if not scored:
        raise ValueError(
            "halving keeps the runs with the best validation accuracy (else test "
            "accuracy): give validation_data or test_data"
        )


def rungs(runs, factor, epochs):
    """The epochs of each rung of successive halving: as many rungs as the runs can be divided
    by factor (and the epochs allow), growing by factor, the last one epochs."""
    count = 1
    while factor**count <= runs:
        count += 1
    budgets = sorted({max(1, epochs // factor ** (count - 1 - k)) for k in range(count)})
    return budgets


def merit(record, epochs):
    """A run's merit after epochs: its best validation accuracy over them, else its best test
    accuracy; a failed run is last."""
    history = record.get("history")
    if record.get("error") or not history:
        return float("-inf")
    for part in ("validation_accuracy", "test_accuracy"):
        if history.get(part):
            return max(history[part][:epochs])
    return float("-inf")


def successive_halving(runner, runs, done, threads, factor, verbose, file):
    """Successive halving over runs, a list of (key, settings) in the grid's order; done holds
    the records already in the results file (those runs are not trained again: their History
    gives their merit at every rung they reached). Returns this sweep's new records and
    whether Ctrl-C stopped it."""
    epochs = runs[0][1]["epochs"]
    budgets = rungs(len(runs), factor, epochs)
    done = {run_key(r["settings"]): r for r in done}
    alive, checkpoints, seconds, new = list(runs), {}, {}, []
    for rung, budget in enumerate(budgets):
        todo = [
            (key, s, (budget, checkpoints.pop(key, None))) for key, s in alive if key not in done
        ]
        reporter = Reporter(
            len(todo), verbose, None, label=f"rung {rung + 1}/{len(budgets)}, {budget} epochs: "
        )
        records, interrupted = runner.run(todo, threads, reporter)
        if interrupted:
            return new, True
        current = {key: done[key] for key, _ in alive if key in done}
        for record in records:
            key = run_key(record["settings"])
            checkpoints[key] = record.pop("checkpoint", None)
            if record["seconds"] is not None:
                # A run's seconds: all its rungs'.
                seconds[key] = record["seconds"] = seconds.get(key, 0.0) + record["seconds"]
            current[key] = record
        # The best 1/factor go on (ties: the grid's order); the last rung's all stop.
        ranked = sorted(alive, key=lambda run: -merit(current[run[0]], budget))
        going_on = ranked[: -(-len(alive) // factor)] if rung + 1 < len(budgets) else []
        staying = {key for key, _ in going_on}
        for key, _ in alive:
            if key in staying or key in done:
                continue
            checkpoints.pop(key, None)
            record = current[key]
            record["halving"] = {
                "factor": factor,
                "rung": rung + 1,
                "rungs": len(budgets),
                "stopped_at_epoch": budget,
                "epochs": epochs,
            }
            if file is not None:
                file.append(record)
            new.append(record)
        alive = going_on
    return new, False
