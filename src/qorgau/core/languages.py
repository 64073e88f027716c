"""The three languages by their own names (as a Kazakh, Russian or English reader looks for them).

Self-names are never translated: «Қазақша» reads the same on a Russian page.
"""

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
