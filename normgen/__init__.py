"""normgen: see what L1, L2, elastic-net and group-lasso regularization do to image generators."""

__version__ = "0.1.0"
