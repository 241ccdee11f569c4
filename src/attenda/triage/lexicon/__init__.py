"""Word lists in Portuguese, Spanish, Romanian, Polish and English, written folded (no accents,
lower case) as language.fold() leaves a customer's text."""
