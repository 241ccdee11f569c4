"""Attenda: a customer-service platform that hears customers on every channel."""
