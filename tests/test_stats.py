"""Wilson interval and paired differences."""

import pytest

from clskit.exercises import predict_then_measure, check
from clskit.stats import wilson_interval


def test_wilson_matches_published_values():
    # Brown, Cai & DasGupta (2001) closed form; 45/50 at 95%: 0.786..0.957 (also R's prop.test without correction)
    lo, hi = wilson_interval(45, 50)
    assert lo == pytest.approx(0.7864, abs=1e-4) and hi == pytest.approx(0.9565, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-4)


def test_wilson_narrows_with_n():
    w = [(lambda lo_hi: lo_hi[1] - lo_hi[0])(wilson_interval(int(0.9 * n), n)) for n in (20, 200, 2000)]
    assert w[0] > w[1] > w[2]


@pytest.mark.parametrize("args, match", [((1, 0), "positive"), ((5, 3), "between"), ((1, 3, 1.0), "confidence")])
def test_wilson_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args)


def test_predict_then_measure_compares_and_explains():
    predict_then_measure("99.7", "test", ("helps", "hurts"),
                         lambda m: ("helps" if m > 0 else "hurts", f"accuracy changed by {m:+.2f}"))
    fb = check("99.7", {"prediction": "helps", "measured": 0.05})
    assert fb.passed and "+0.05" in fb.right[0]
    fb = check("99.7", {"prediction": "hurts", "measured": 0.05})
    assert not fb.passed and "+0.05" in fb.hint
    assert not check("99.7", {"prediction": "?", "measured": 0.05}).passed
    assert not check("99.7", "helps").passed


def test_paired_difference_over_images_matches_a_hand_bootstrap():
    import numpy as np
    from clskit.stats import paired_difference

    rng = np.random.default_rng(1)
    a = (rng.random(400) < 0.85).astype(float)
    b = np.where(rng.random(400) < 0.9, a, 1 - a)  # b agrees with a on ~90% of images
    d = paired_difference(a, b, seed=0)
    diffs = a - b
    boot = [diffs[rng.integers(0, 400, 400)].mean() for _ in range(4000)]
    lo, hi = np.percentile(boot, [2.5, 97.5]) * 100
    assert d.diff == pytest.approx(diffs.mean() * 100)
    assert d.low == pytest.approx(lo, abs=0.8) and d.high == pytest.approx(hi, abs=0.8)
    assert d.n == 400 and "pts" in str(d)


def test_paired_difference_words_follow_the_interval():
    from clskit.stats import paired_difference

    assert paired_difference([1] * 90 + [0] * 10, [1] * 80 + [0] * 20).verdict == "better"
    assert paired_difference([1] * 80 + [0] * 20, [1] * 90 + [0] * 10).verdict == "worse"
    # same accuracy, different images right: no clear difference
    assert paired_difference([1, 0] * 50, [0, 1] * 50).verdict == "no clear difference"
    assert paired_difference([1, 1, 0], [1, 1, 0]).verdict == "no clear difference"


def test_paired_difference_over_seeds_is_the_paired_t_interval():
    from scipy import stats
    from clskit.stats import paired_difference

    a, b = [0.91, 0.93, 0.90, 0.92, 0.95], [0.89, 0.90, 0.89, 0.90, 0.91]
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    d = paired_difference(a, b, over="seeds")
    assert d.low == pytest.approx(100 * ci.low) and d.high == pytest.approx(100 * ci.high)
    assert d.verdict == "better" and d.over == "seeds"


@pytest.mark.parametrize("args, kw, match", [(([1, 0], [1]), {}, "one score per item"),
                                             (([1, 0], [1, 0]), {"over": "runs"}, "over must be"),
                                             (([0.9], [0.8]), {"over": "seeds"}, "at least 2"),
                                             (([float("nan")], [1]), {}, "NaN")])
def test_paired_difference_bad_input(args, kw, match):
    from clskit.stats import paired_difference

    with pytest.raises(ValueError, match=match):
        paired_difference(*args, **kw)
