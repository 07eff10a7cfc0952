"""Lesson helpers: one topic each; they may import any layer, and no layer imports them."""
