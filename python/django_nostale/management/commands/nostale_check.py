from django.core.checks import ERROR
from django.core.management.base import BaseCommand, CommandError

from ... import conf
from ...checks import check_settings, live_problems
from ...stores import get_store


class Command(BaseCommand):
    help = "Checks django-nostale's configuration against the running store, and reads a probe scope."

    def handle(self, *args, **options):
        problems = check_settings() + live_problems()
        for problem in problems:
            self.stdout.write(f"{problem.id}: {problem.msg}" + (f" ({problem.hint})" if problem.hint else ""))
        if any(problem.level >= ERROR for problem in problems):
            raise CommandError("django-nostale is misconfigured; see above.")
        token = get_store().read("nostale:check")
        self.stdout.write(self.style.SUCCESS(f'OK: store "{conf.get("STORE")}" answered token {token}'))
