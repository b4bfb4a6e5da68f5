"""Benchmarks (not tests): ``make bench`` prints a table and writes ``bench/results.json``."""

from collections.abc import Callable

# A benchmark module's bars, declared beside the numbers they judge: key, the bar as text,
# and whether a value meets it. ``make bench`` prints every module's beside its numbers.
Bars = dict[str, tuple[str, Callable[[float], bool]]]
