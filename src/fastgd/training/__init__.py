"""Training: the Trainer and its fit (trainer), the settings of a run written once (settings),
what a fit measures after each epoch (evaluation) and whether it is stuck (diagnosis), what it
shows as it goes (progress), and its checkpoints (checkpoint)."""
