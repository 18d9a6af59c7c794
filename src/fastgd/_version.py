"""fastgd's version, in one place: the package metadata reads it from here at build time."""

__version__ = "0.3.0.dev0"
