"""Channel adapters: each turns its wire format into an ``Inbound`` and an outbound reply back into
its wire format, and knows nothing of tickets."""
