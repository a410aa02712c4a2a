"""Baseline methods run through the project's inference engine and trainer (STCN)."""
