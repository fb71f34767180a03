import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from citywatch.demo.loader import DEMO_USERS, load_demo
from citywatch.demo.roads import summary as geo_summary


class Command(BaseCommand):
    help = "Load the synthetic demo city (idempotent) and serve web and worker on http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--load-only", action="store_true", help="load the demo city and exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, load_only=False, host="127.0.0.1", port=8000, **options):
        call_command("migrate", interactive=False, verbosity=0)
        result = load_demo()
        for note in result.areas_report.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(result.areas_report.summary())
        if result.points_placed:
            self.stdout.write(f"placed {result.points_placed} synthetic street/community points")
        if result.resources:
            self.stdout.write(
                "synthetic resources: " + ", ".join(f"{k} {v}" for k, v in result.resources.items())
            )
        if result.geo:
            self.stdout.write(geo_summary(result.geo))
        self.stdout.write("")
        self.stdout.write(
            f"CityWatch demo (synthetic data in Xiamen's real boundaries): http://{host}:{port}/"
        )
        self.stdout.write("Logins: " + ", ".join(u[0] for u in DEMO_USERS))
        if os.environ.get("CITYWATCH_DEMO_PASSWORD"):
            self.stdout.write("Password: the value of CITYWATCH_DEMO_PASSWORD")
        else:
            self.stdout.write(
                f"Password: {result.password}"
                + ("  (generated now; kept in the data directory)" if result.password_generated else "")
            )
        if load_only:
            return
        self.serve(host, port)

    def serve(self, host, port):
        env = {**os.environ, "CITYWATCH_DEBUG": os.environ.get("CITYWATCH_DEBUG", "true")}
        cli = [sys.executable, "-m", "citywatch.cli"]
        worker = subprocess.Popen([*cli, "worker"], env=env)  # noqa: S603 - our own interpreter and module
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "citywatch.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
            ],
            env=env,
        )
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
