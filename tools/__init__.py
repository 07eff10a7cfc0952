"""Repository tooling that works only in a clone (not shipped in the wheel)."""
