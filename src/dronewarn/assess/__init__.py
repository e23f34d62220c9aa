"""Assess: crossing prediction, classification and the warning lifecycle."""
