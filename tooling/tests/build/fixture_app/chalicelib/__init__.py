"""Fixture library: proves chalicelib/ is packaged."""
