"""Django's makemessages without msgmerge's fuzzy guesses: a new string stays empty until a person
translates it, instead of borrowing a similar string's translation (which the catalogue test would
otherwise have to catch as "fuzzy")."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
