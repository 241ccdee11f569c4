"""Tests of routing: business calendars and statutory deadlines."""
