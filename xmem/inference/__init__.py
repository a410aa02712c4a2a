"""Frame-by-frame inference (paper §3.1, official eval.py protocol): the engine, the VideoPredictor API and its sinks, dataset readers and ``xmem infer``."""
