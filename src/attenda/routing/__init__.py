"""Teams, business calendars, service levels and statutory deadlines."""
