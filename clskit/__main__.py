"""``python -m clskit doctor`` checks the environment. (In a clone, ``python -m tools.notebooks run`` runs the course.)"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m clskit doctor")
        return 0 if argv else 2
    if argv[0] == "doctor":
        from clskit.doctor import main as doctor
        return doctor()
    hint = "; in a clone of the repository, run the notebooks with: python -m tools.notebooks run" \
        if argv[0] == "notebooks" else ""
    print(f"unknown command {argv[0]!r}; try: python -m clskit doctor{hint}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
