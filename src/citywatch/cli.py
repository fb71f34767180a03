"""The ``citywatch`` command: every ``manage.py`` command plus the project's own verbs
(``import``, ``token``, ``demo``, ``worker``, …), which are management commands of the apps."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citywatch.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
