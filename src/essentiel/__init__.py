"""essentiel: the day's most important news, from the sources you choose."""

__version__ = "0.1.0"
