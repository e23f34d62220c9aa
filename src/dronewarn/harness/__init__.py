"""Runs whole simulated nights: the simulator feeding nodes, scored against ground truth."""
