"""Fault injection, compatible with LocalStack's Chaos API: rules and the middleware
(``faults``), AWS's error wire shapes (``wire``), and the command line's client."""
