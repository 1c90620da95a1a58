"""Real replication for tests: a PostgreSQL primary with a streaming hot standby, and a
MariaDB primary with a GTID replica, each on free ports in a directory of its own."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port
from tests.support.servers import NO_NATIVE_AIO

APP_USER, APP_PASSWORD, DATABASE = "app", "app-pw", "shop"


def _run(command: list[str], user: str | None = None, **kwargs: object) -> str:
    if user is not None and os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}")
    return str(result.stdout)


def _wait(check: object, what: str, attempts: int = 150) -> None:
    for _ in range(attempts):
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


@dataclass
class PostgresPair:
    """`primary_port` and `standby_port` on 127.0.0.1; the app's user owns `shop`."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="multidb-pg-")))
    primary_port: int = field(default_factory=free_port)
    standby_port: int = field(default_factory=free_port)

    @property
    def bin(self) -> Path:
        return Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])

    def start(self) -> PostgresPair:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> PostgresPair:
        shutil.chown(self.root, "postgres") if os.geteuid() == 0 else None
        primary, standby = self.root / "primary", self.root / "standby"
        _run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            "postgres",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "hot_standby": "on",
            "fsync": "off",
            "synchronous_commit": "off",
        }
        with (primary / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._pg_ctl(primary, self.primary_port, "start")
        self.sql(self.primary_port, f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")
        self.sql(self.primary_port, f"CREATE DATABASE {DATABASE} OWNER {APP_USER}")
        _run(
            [
                str(self.bin / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary_port),
                "-U",
                "postgres",
                "-D",
                str(standby),
                "-R",
                "-X",
                "stream",
                "--no-sync",
                "--checkpoint=fast",
            ],
            "postgres",
        )
        self._pg_ctl(standby, self.standby_port, "start")
        return self

    def _pg_ctl(self, data: Path, port: int, action: str, mode: str = "fast") -> None:
        command = [str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-m", mode]
        if action == "start":
            command += ["-o", f"-p {port}", "-l", str(data.with_suffix(".log"))]
        _run([*command, action], "postgres")

    def sql(self, port: int, statement: str, database: str = "postgres") -> str:
        command = [
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tAc",
            statement,
        ]
        return _run(command).strip()

    def url(self, port: int | None = None) -> str:
        return f"postgresql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{port or self.primary_port}/{DATABASE}"

    def pause_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_resume()")

    def kill_standby(self) -> None:
        self._pg_ctl(self.root / "standby", self.standby_port, "stop", mode="immediate")

    def start_standby(self) -> None:
        self._pg_ctl(self.root / "standby", self.standby_port, "start")

    def reads_on_standby(self) -> int:
        """Transactions the standby has run in the app's database, by its own count."""
        self.sql(self.standby_port, "SELECT pg_stat_force_next_flush()", DATABASE)
        return int(
            self.sql(
                self.standby_port, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{DATABASE}'"
            )
        )

    def refuses_app_writes(self) -> bool:
        command = [
            str(self.bin / "psql"),
            f"postgresql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{self.standby_port}/{DATABASE}",
            "-c",
            "CREATE TABLE probe (id int)",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        return result.returncode != 0 and "read-only transaction" in result.stderr

    def stop(self) -> None:
        for name, port in (("standby", self.standby_port), ("primary", self.primary_port)):
            with contextlib.suppress(RuntimeError):  # already stopped
                self._pg_ctl(self.root / name, port, "stop", mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class MariaDBPair:
    """A primary and a read-only GTID replica; the app's user has rights on `shop` only
    (a user with ALL ON *.* could write even on a read-only replica)."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="multidb-maria-")))
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> MariaDBPair:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> MariaDBPair:
        shutil.chown(self.root, "mysql") if os.geteuid() == 0 else None
        with ThreadPoolExecutor() as pool:  # the two installs at once: each takes seconds
            installs = [
                pool.submit(
                    _run,
                    [
                        "mariadb-install-db",
                        "--no-defaults",  # not the system server's my.cnf
                        f"--datadir={self.root / name}",
                        "--user=mysql",
                        "--skip-test-db",
                        "--auth-root-authentication-method=normal",
                        # Two installs at once beside other servers ran out of the kernel's
                        # native AIO contexts: "Installation of system tables failed" in CI.
                        NO_NATIVE_AIO,
                    ],
                )
                for name in ("primary", "replica")
            ]
            for install in installs:
                install.result()
        self._serve("primary", self.primary_port, server_id=1)
        self._serve("replica", self.replica_port, server_id=2, extra=["--read-only"])
        self.sql(
            self.primary_port,
            "CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'; "
            "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'; "
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4; "
            f"CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}'; "
            f"GRANT ALL ON {DATABASE}.* TO '{APP_USER}'@'%'",
        )
        self.sql(
            self.replica_port,
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={self.primary_port}, "
            "MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE",
        )
        _wait(lambda: DATABASE in self.sql(self.replica_port, "SHOW DATABASES"), "replication")
        return self

    def _serve(self, name: str, port: int, server_id: int, extra: list[str] | None = None) -> None:
        data = self.root / name
        self.processes[name] = subprocess.Popen(
            [
                "mariadbd",
                f"--datadir={data}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.root / (name + '.sock')}",
                f"--pid-file={self.root / (name + '.pid')}",
                "--user=mysql",
                f"--server-id={server_id}",
                f"--log-bin={data / 'binlog'}",
                "--binlog-format=ROW",
                "--skip-name-resolve",
                "--innodb-flush-log-at-trx-commit=0",
                NO_NATIVE_AIO,
                *(extra or []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(lambda: self.sql(port, "SELECT 1") == "1", f"mariadb {name}")

    def sql(self, port: int, statement: str) -> str:
        return _run(
            [
                "mariadb",
                "--protocol=tcp",
                "-h",
                "127.0.0.1",
                "-P",
                str(port),
                "-uroot",
                "-N",
                "-B",
                "-e",
                statement,
            ]
        ).strip()

    def url(self, port: int | None = None) -> str:
        return f"mysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{port or self.primary_port}/{DATABASE}"

    def pause_replay(self) -> None:
        self.sql(self.replica_port, "STOP SLAVE SQL_THREAD")

    def resume_replay(self) -> None:
        self.sql(self.replica_port, "START SLAVE SQL_THREAD")

    def kill_standby(self) -> None:
        process = self.processes.pop("replica")
        process.kill()
        process.wait(timeout=30)

    def start_standby(self) -> None:
        self._serve("replica", self.replica_port, server_id=2, extra=["--read-only"])
        self.sql(self.replica_port, "START SLAVE")  # already running after a clean start: a note, no error

    def reads_on_standby(self) -> int:
        return int(self.sql(self.replica_port, "SHOW GLOBAL STATUS LIKE 'Com_select'").split()[-1])

    def refuses_app_writes(self) -> bool:
        """Whether the replica refuses the app's writes, as a write sent there would be."""
        command = [
            "mariadb",
            "--protocol=tcp",
            "-h",
            "127.0.0.1",
            "-P",
            str(self.replica_port),
            f"-u{APP_USER}",
            f"-p{APP_PASSWORD}",
            DATABASE,
            "-e",
            "CREATE TABLE probe (id INT)",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        return result.returncode != 0 and "read-only" in result.stderr

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()
            process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)
