"""Checkers for notebook 01 (images, labels and splits)."""
from __future__ import annotations


from clskit.exercises import exercise, predict_then_measure


def _read_normalisation(m):
    d = m["difference"]
    said = (f"top-1 went from {m['own']:.1%} with the network's own 0.5/0.5 to {m['imagenet']:.1%} with ImageNet's "
            f"mean/std ({d})")
    if d.verdict == "worse":
        return "falls clearly", (said + ": the weights were fitted to inputs in [-1, 1]; ImageNet's statistics stretch "
                                 "them about 2.2 times, and every layer after the first sees values on a scale it "
                                 "never trained on")
    return "no clear fall", (said + ": on these photos the network tolerates the stretch; use the model's own "
                             "preprocessing anyway, preprocess_for(model)")


predict_then_measure("01.1", "Normalise with the wrong statistics", ("falls clearly", "no clear fall"),
                     _read_normalisation)


def _read_competition(m):
    back, pairs = int(m["recovered"]), int(m["pairs"])
    said = f"with the winning class taken out of the softmax, the other object came back above 0.5 in {back} of {pairs} collages"
    if back > pairs / 2:
        return "comes back", said + ": the softmax division alone was hiding it"
    return "stays low", (said + ": its logit itself fell in the collage. The network, trained on photos with one "
                         "label each, has learned to report one object; the softmax division is not what hides the other")


predict_then_measure("01.2", "Take the winner out of the softmax", ("comes back", "stays low"), _read_competition)


def _read_bursts(m):
    found, leaking = int(m["found"]), int(m["leaking"])
    said = f"find_leaks flagged {found} of the {leaking} source photos whose crops sit in two splits"
    if found > leaking / 2:
        return "catches most", said
    return "misses most", (said + ": crops 16 pixels apart differ far more than a re-saved copy, so a duplicate "
                           "finder's threshold cannot separate them from different photos. Only group ids "
                           "(which photo a crop came from) prevent this leak")


predict_then_measure("01.3", "Can a duplicate finder catch a burst?", ("catches most", "misses most"), _read_bursts)


TASKS = {"weld seam photo: good or faulty": "binary",
         "dog photo: which of 120 breeds": "multiclass",
         "street photo: which of car, bicycle, pedestrian appear": "multilabel",
         "steel part: ok, or its single worst defect (scratch or spot)": "multiclass"}


@exercise("01.4", "Binary, multiclass or multilabel?")
def _kinds(answer, c):
    if not isinstance(answer, dict):
        c.fail(f"expected a dict task -> kind; got {type(answer).__name__}")
        return "fill in the dict TASK_KINDS with 'binary', 'multiclass' or 'multilabel' for each task"
    for task, kind in TASKS.items():
        got = str(answer.get(task, "")).strip().lower()
        c.expect(got == kind, f"{task}: {kind}", f"{task}: {got or 'no answer'} is not right")
    return ("two classes is binary; three or more mutually exclusive classes is multiclass; "
            "labels that can be true together (not exclusive) make it multilabel")


@exercise("01.5", "Find the bug: a tagger that never gives two tags")
def _tagger(fn, c):
    import torch

    if not callable(fn):
        c.fail(f"expected a function my_tags(logits, threshold=0.5); got {type(fn).__name__}")
        return "define my_tags(logits, threshold=0.5) and pass the function itself: check('01.5', my_tags)"
    logits = torch.tensor([[4.0, 3.0, -2.0, -5.0],      # two tags
                           [-3.0, -1.0, -4.0, -2.0],    # none
                           [0.1, 0.2, 0.3, 0.4],        # all four, barely
                           [6.0, -6.0, -6.0, -6.0]])    # one
    want = torch.sigmoid(logits) > 0.5
    got = torch.as_tensor(fn(logits.clone())).bool()
    if got.shape != want.shape:
        c.fail(f"expected one True/False per image and tag, shape {tuple(want.shape)}; got {tuple(got.shape)}")
        return "return a boolean tensor of the same shape as logits"
    counts = got.sum(1).tolist()
    c.expect(bool((got == want).all()), "every image gets each tag whose own probability exceeds 0.5: "
             f"{counts} tags for the four test images",
             f"your function gives {counts} tags to four images whose logits call for {want.sum(1).tolist()}")
    strict = fn(logits.clone(), threshold=0.9)
    c.expect(bool((torch.as_tensor(strict).bool() == (torch.sigmoid(logits) > 0.9)).all()),
             "the threshold is respected", "with threshold=0.9 the tags are not those whose probability exceeds 0.9")
    return ("softmax makes the tags share one unit of probability, so at most one can exceed 0.5: give each tag its "
            "own probability with torch.sigmoid(logits), then compare with the threshold")
