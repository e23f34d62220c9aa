"""Sense: sensor input -> validated Reports. One module per wire format joins this package."""
