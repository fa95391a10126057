"""The browser-against-native benchmark (make bench); see benchmarks/run.py."""
