"""Composition root: CLI, config presets and the local launcher. Imported by nobody."""

__version__ = "0.1.0"
