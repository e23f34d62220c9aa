"""Track: fuse Reports into tracks. No I/O here: Reports in, TrackStates out."""
