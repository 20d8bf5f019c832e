"""npgrad: a small PyTorch-like deep-learning framework in NumPy."""
