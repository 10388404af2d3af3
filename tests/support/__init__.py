"""Helpers shared by several test packages (no fixtures, no tests)."""
