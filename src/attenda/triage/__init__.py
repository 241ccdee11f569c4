"""Triage: the language, kind, tone and abuse of each message as it arrives."""
