"""(being written)"""

from __future__ import annotations


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
