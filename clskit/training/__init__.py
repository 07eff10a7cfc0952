"""Training: the Learner, its callbacks, losses, checkpoints and multi-process runs."""
