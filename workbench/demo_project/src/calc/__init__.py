"""A tiny calculator."""


def add(a: float, b: float) -> float:
    """Return a + b."""
    return a + b


def divide(a: float, b: float) -> float:
    """Return a / b; raises ZeroDivisionError when b is 0."""
    return a / b
