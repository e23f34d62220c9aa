"""Share: partner links, policies, signed messages, audit. Today: the in-process link."""
