"""The email channel: parsing real-world mail, threading headers, bounces, loops and sending."""
