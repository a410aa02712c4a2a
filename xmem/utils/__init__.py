"""Small shared helpers (atomic writes, mask image I/O, threading)."""
