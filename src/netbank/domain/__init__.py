"""Pure business rules of netbank: no I/O, no clock, no randomness (they are passed in)."""
