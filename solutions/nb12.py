"""Solutions to the exercises of notebook 12 (efficiency)."""

# 12.1: accuracies per seed shaped like notebook 12's: the labels add about 8 pts, the soft term about 1.
STUDENTS = {"few labels": [0.919, 0.907, 0.889, 0.870, 0.881],
            "teacher's hard labels": [0.970, 0.967, 0.981, 0.967, 0.974],
            "distilled": [0.981, 0.985, 0.978, 0.985, 0.985]}

# 12.2: the half-width network: pruned, after BN re-estimation, after 2 epochs of fine-tuning (per seed).
PRUNING = {"pruned": 0.10, "recalibrated": 0.80, "fine-tuned": [0.959, 0.956, 0.959, 0.963, 0.952]}

# 12.5: profile rows at 8x8 (milliseconds), shaped like notebook 12's.
PROFILE = [{"model": "float32 channels-last", "latency_b1_ms": 0.235, "latency_b32_ms": 1.319},
           {"model": "static int8", "latency_b1_ms": 0.429, "latency_b32_ms": 0.621}]

# 12.4: averaging with the mirror costs every student several points.
MIRROR = {"plain": [0.92, 0.91, 0.89, 0.87, 0.88], "mirror": [0.85, 0.83, 0.82, 0.80, 0.82]}

SOLUTIONS = {
    "12.1": lambda: {"prediction": "the labels", "measured": STUDENTS},
    "12.2": lambda: {"prediction": "recalibration", "measured": PRUNING},
    # (3*64 + 64*128 + 128*128) * 9 weights before, (3*16 + 16*32 + 32*32) * 9 after: 15.64
    "12.3": lambda: (3 * 64 + 64 * 128 + 128 * 128) / (3 * 16 + 16 * 32 + 32 * 32),
    "12.4": lambda: {"prediction": "worse", "measured": MIRROR},
    "12.5": lambda: {"prediction": "slower at 1, faster at 32", "measured": PROFILE},
}
WRONG = {
    "12.1": (lambda: {"prediction": "the soft targets", "measured": STUDENTS}, "labeller"),
    "12.2": (lambda: {"prediction": "fine-tuning", "measured": PRUNING}, "statistics"),
    "12.3": (lambda: 16, "inputs"),
    "12.4": (lambda: {"prediction": "better", "measured": MIRROR}, "mirrored"),
    "12.5": (lambda: {"prediction": "faster at both", "measured": PROFILE}, "quantising"),
}
