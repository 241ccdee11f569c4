"""Date and time formats where Attenda's agents differ from Django's defaults (FORMAT_MODULE_PATH)."""
