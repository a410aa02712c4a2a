"""Frame-by-frame inference (paper §3.1, official eval.py protocol), dataset readers and ``xmem infer``."""
