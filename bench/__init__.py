"""Benchmarks of mlcalc against the libraries practitioners use; run them with ``python -m bench``."""
