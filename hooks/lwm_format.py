"""How numbers from models.json are written on the site: one formatter per kind of figure.

The site and its tests both import these, so a test reads a number from the manifest, formats
it here and looks for exactly that text on the page (never a copy of the number).

    fmt_count(3_504_872)      # '3.5 M'
    fmt_count(300_774_272)    # '301 M'
    fmt_bytes(13_393_210)     # '13.4 MB'
    fmt_ms(3.131)             # '3.13 ms'
"""

from __future__ import annotations

# SI prefixes: the papers quote "3.5M parameters" and "300M mult-adds" in powers of ten,
# and file sizes are given in decimal megabytes (as browsers' network panels show them).
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _three_digits(x: float) -> str:
    """About three significant digits, without trailing zeros: 3.5, 11.7, 301, 4.11."""
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _si(n: int | float | None, unit: str, sep: str) -> str:
    if n is None:
        return "n/a"
    for scale, prefix in _SI:
        if abs(n) >= scale:
            return f"{_three_digits(n / scale)} {prefix}{unit}"
    return f"{n:.0f}{sep}{unit}"


def fmt_count(n: int | float | None) -> str:
    """Parameters and MACs: '3.5 M', '56.5 M', '4.11 G'."""
    return _si(n, "", "")


def fmt_bytes(n: int | float | None) -> str:
    """File and memory sizes in decimal units: '13.4 MB', '812 kB'."""
    return _si(n, "B", " ")


def fmt_ms(ms: float | None) -> str:
    """Latency: '3.13 ms', '42.7 ms'."""
    if ms is None:
        return "n/a"
    return f"{_three_digits(ms)} ms"


def fmt_pct(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.9896 -> '99.0 %'."""
    if fraction is None:
        return "n/a"
    return f"{fraction * 100:.{digits}f} %"


def fmt_published_pct(value: float | None) -> str:
    """A published accuracy, already in percent (71.878 -> '71.9 %')."""
    if value is None:
        return "not published"
    return f"{value:.1f} %"


def fmt_ratio(x: float) -> str:
    """How many times larger: '7.4×', '18×', '1.9×'."""
    return f"{_three_digits(x) if x < 10 else f'{x:.0f}'}×"


def fmt_energy_pj(pj: float) -> str:
    """An energy estimate given in picojoules, written in the unit that reads best."""
    for scale, unit in ((1e9, "mJ"), (1e6, "µJ"), (1e3, "nJ")):
        if pj >= scale:
            return f"{_three_digits(pj / scale)} {unit}"
    return f"{_three_digits(pj)} pJ"
