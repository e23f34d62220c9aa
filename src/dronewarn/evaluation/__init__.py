"""Evaluation against ground truth: how early, how right, how noisy the warnings were."""
