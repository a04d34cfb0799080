"""Day-two operations against any deployed environment, reading only build/<env>/outputs.json."""
