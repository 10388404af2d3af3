"""Tests of the mods package: host API, SDK, manifests, build, and the shipped mods."""
