"""dronewarn: cross-border drone early warning and track sharing.

One node runs sense -> track -> assess -> share; see docs/architecture.md.
"""

__version__ = "0.1.0"
