"""Domain types shared by every layer: reports, tracks, warnings, partners, errors, time."""
