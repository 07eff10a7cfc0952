"""TransferResult reports its accuracy with a Wilson interval (small validation splits are uncertain)."""
import torch.nn as nn

from clskit.stats import wilson_interval
from clskit.lessons.transfer import TransferResult


def test_transfer_result_interval_is_wilson_on_its_validation_size():
    r = TransferResult("linear_probe", 28 / 30, nn.Identity(), None, 1.0, 90, n_valid=30)
    assert r.interval == wilson_interval(28, 30)
    lo, hi = r.interval
    assert lo < 0.8 < r.accuracy < hi            # 28 of 30 is consistent with 80%: the split is small
    big = TransferResult("linear_probe", 280 / 300, nn.Identity(), None, 1.0, 900, n_valid=300)
    assert big.interval[1] - big.interval[0] < (hi - lo) / 2.5
    assert "95% interval" in repr(r) and "30 images" in repr(r)
