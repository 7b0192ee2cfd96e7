"""Services as real OS processes (``nameko run``), for fault tests and benchmarks that need to
kill -9 a service or keep the client off the service's CPU."""

import os
import signal
import subprocess
from pathlib import Path

import yaml

from shared.config import REPO_ROOT
from shared.services import service_class


def write_config(config, path):
    """Write a config dict as the YAML file ``nameko run`` reads."""
    path = Path(path)
    path.write_text(yaml.safe_dump({k: v for k, v in config.items() if k != "LOGGING"}))
    return path


def target_of(service):
    """``module:Class`` for ``nameko run`` (a service name or a class)."""
    cls = service_class(service) if isinstance(service, str) else service
    return f"{cls.__module__}:{cls.__name__}"


class ServiceProcess:
    def __init__(self, service, config_file, log_file, env=None):
        self.target = target_of(service)
        self.config_file = config_file
        self.log_file = log_file
        self.env = env or {}
        self.process = None

    def start(self, **env):
        environment = dict(os.environ, PYTHONWARNINGS="ignore", **self.env, **env)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [str(REPO_ROOT / ".venv" / "bin" / "nameko"), "run", "--config", str(self.config_file),
                 self.target],
                cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    def kill(self):
        """kill -9: no shutdown, no cleanup, like a lost node."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout=15):
        """SIGTERM: nameko's graceful shutdown."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def exited(self):
        return self.process is not None and self.process.poll() is not None

    @property
    def returncode(self):
        return self.process.poll() if self.process else None
