"""Polish short dates as CLDR writes them, "15.01.2026, 18:30", rather than Django's
"15-01-2026  18:30"."""

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
