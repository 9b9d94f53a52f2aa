"""netbank: a multi-institution personal e-banking channel platform."""

__version__ = "0.1.0"
