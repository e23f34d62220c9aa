"""Cursor on Target (CoT) and the TAK protocol: XML and protobuf events, read and written."""
