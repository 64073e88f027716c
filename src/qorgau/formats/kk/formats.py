"""Kazakh number formats, which Django does not ship: "9 068" and "45,9", as in Russian.

Only the number keys are set; dates keep the project's defaults for Kazakh, as before.
"""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
