"""session-themes: session reports to evidence of who said what about which theme."""

__version__ = "0.1.0"
