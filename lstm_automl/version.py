"""The package's version, importable from any layer without the package root's facade."""

__version__ = "0.1.0"
