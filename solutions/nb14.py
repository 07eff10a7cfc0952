"""Solutions to the exercises of notebook 14 (try them yourself first)."""
import clskit

# 14.1 and 14.2 are "predict, then measure": the notebook's runs supply the measurements; these are of the kind
# they print. Six epochs of one-cycle at one rate per decade: 0.001 to 0.1 train well, 1 diverges.
SWEEP = {0.001: 0.985, 0.01: 0.993, 0.1: 0.989, 1.0: 0.526}
# fine_tune(5) minus the probe on 200 test photos: the interval includes zero
FINE_TUNE_VS_PROBE = clskit.stats.PairedDifference(-2.5, -6.5, 1.0, 200, "images")


def swapped_splitter():
    # freeze() freezes every parameter group but the last; the swapped splitter lists the body last
    return "the body only"


def decision_rows():
    # 300 images per class is little data; 30 frames/s on a phone is real-time
    return {"little data", "real-time inference"}


SOLUTIONS = {"14.1": lambda: {"prediction": "1 only", "measured": SWEEP},
             "14.2": lambda: {"prediction": "no clear difference", "measured": FINE_TUNE_VS_PROBE},
             "14.3": swapped_splitter, "14.4": decision_rows}
WRONG = {
    "14.1": (lambda: {"prediction": "0.1 and 1", "measured": SWEEP}, "finder"),
    "14.2": (lambda: {"prediction": "fine_tune better", "measured": FINE_TUNE_VS_PROBE}, "ImageNet classes"),
    "14.3": (lambda: "the head only", "last group"),
    "14.4": (lambda: {"little data", "highest accuracy"}, "phone"),
}
