"""Share: the partner link. Signed envelopes, the outbox and its delivery, the receiver and its
acks, the audit chain, keys and trust, the sharing policy, provisioning."""
