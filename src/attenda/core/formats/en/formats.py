"""English as written by agents in Europe (CLDR en-150 and en-GB): day before month and a 24-hour
clock, "25/10/2026 14:30", never "10/25/2026 2:30 p.m."; the other formats are Django's."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1
