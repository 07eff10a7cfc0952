"""release_memory gives freed tensor memory back to the system (glibc keeps it otherwise)."""
import subprocess
import sys
import textwrap

import pytest

import clskit.utils as U

SCRIPT = textwrap.dedent("""
    import torch
    from clskit.utils import release_memory
    def rss_mb(): return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20
    big = torch.ones(8 * 2**20); del big            # raises glibc's mmap threshold, as a training step does
    blocks = [torch.ones(64 * 1024) for _ in range(400)]   # 100 MB in 256 KB blocks, now from the heap
    keep = blocks[::50]                                   # a few live blocks between the freed ones: holes
    del blocks
    before = rss_mb(); release_memory(); print(before - rss_mb())
""")


@pytest.mark.skipif(U._malloc_trim() is None, reason="malloc_trim is glibc's (Linux)")
def test_release_memory_returns_freed_blocks_to_the_system():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert float(out.stdout) > 50, out.stdout    # about 100 MB came back


def test_release_memory_is_harmless_without_glibc(monkeypatch):
    monkeypatch.setattr(U, "_malloc_trim", lambda: None)
    U.release_memory()
