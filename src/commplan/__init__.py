"""commplan: turns signed communication plans into tracked, reminded obligations."""

__version__ = "0.1.0"
