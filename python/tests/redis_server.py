"""A real redis-server on a free loopback port for the Django tests, started once per process
tree (the URL is passed on in NOSTALE_TEST_REDIS_URL). Installs Debian's redis-server when missing
and root, like the Node harness; otherwise fails with the command to run."""

import atexit
import os
import shutil
import socket
import subprocess
import time

INSTALL_COMMAND = "sudo apt-get install -y redis-server"


def find_redis_server():
    explicit = os.environ.get("NOSTALE_REDIS_SERVER")
    if explicit:
        if os.access(explicit, os.X_OK):
            return explicit
        raise RuntimeError(f"NOSTALE_REDIS_SERVER={explicit} is not executable. Install Redis: {INSTALL_COMMAND}")
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.access(p, os.X_OK)), None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "redis-server"], check=True, env=env)
        found = shutil.which("redis-server")
        if found:
            return found
    raise RuntimeError(f"redis-server not found. Install it: {INSTALL_COMMAND} (or set NOSTALE_REDIS_SERVER)")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start():
    """Starts a server and returns its URL; it is stopped when this process exits."""
    port = free_port()
    process = subprocess.Popen(
        [find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.025)
    process.kill()
    raise RuntimeError(f"redis-server did not answer on port {port}")
