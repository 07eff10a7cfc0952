"""``python -m clskit doctor`` checks the environment; ``python -m clskit notebooks run`` runs the course."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m clskit {doctor | notebooks run [NN ...] [--report]}")
        return 0 if argv else 2
    if argv[0] == "doctor":
        from .doctor import main as doctor
        return doctor()
    if argv[0] == "notebooks":
        from .notebooks import main as nb
        return nb(argv[1:])
    print(f"unknown command {argv[0]!r}; try: python -m clskit doctor", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
