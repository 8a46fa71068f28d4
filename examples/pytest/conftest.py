"""pytest fixtures for testing your code against profileflow (boto3 `customer-profiles`).

One `profileflow serve` per test session, on a free port (`--port 0`, the address read from its banner),
over a temporary data folder removed at the end; the manual engine and clock, so workflows move only
when a test says so. Every test starts from empty tables (`POST /_profileflow/reset`).

The command: PROFILEFLOW_COMMAND if set (e.g. "npx --no-install profileflow"), else this repository's
built bundle (node ../../dist/bundle/profileflow.js) when it exists, else `npx --no-install profileflow`.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

BUNDLE = Path(__file__).resolve().parents[2] / "dist" / "bundle" / "profileflow.js"
BANNER = re.compile(r"listening on (http://\S+) ")
START_TIMEOUT_S = 30


def _command():
    if os.environ.get("PROFILEFLOW_COMMAND"):
        return shlex.split(os.environ["PROFILEFLOW_COMMAND"])
    if BUNDLE.exists():
        return ["node", str(BUNDLE)]
    return ["npx", "--no-install", "profileflow"]


class Profileflow:
    """A running service: its endpoint and the testing controls under /_profileflow/."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint}/_profileflow{path}", data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read() or b"null")

    def reset(self):
        return self.admin("POST", "/reset")

    def advance(self, pages=None):
        """Runs workflow steps now: `pages` pages, or everything due."""
        return self.admin("POST", "/engine/advance", {"pages": pages} if pages else {"untilIdle": True})

    def clock(self, advance_ms):
        return self.admin("POST", "/clock", {"advanceMs": advance_ms})

    def faults(self, rules):
        return self.admin("PUT", "/faults", rules) if rules else self.admin("DELETE", "/faults")

    def put_connector_profile(self, name, kind, settings):
        return self.admin("PUT", f"/connector-profiles/{name}", {"kind": kind, "settings": settings})

    def client(self, account_id="000000000000", region="us-east-1"):
        # A 12-digit access key id is the account; with --auth off (the loopback default) nothing is checked.
        # One attempt: an injected fault reaches the test as it is.
        return boto3.client("customer-profiles", endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=account_id, aws_secret_access_key="test",
                            config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture(scope="session")
def profileflow():
    data_dir = tempfile.mkdtemp(prefix="profileflow-pytest-")
    proc = subprocess.Popen(
        [*_command(), "serve", "--port", "0", "--data-dir", data_dir, "--engine-mode", "manual", "--clock", "manual"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # A banner that never comes must not hang the session: the process is killed at the deadline.
    watchdog = threading.Timer(START_TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        endpoint = None
        for line in proc.stdout:
            match = BANNER.search(line)
            if match:
                endpoint = match.group(1)
                break
        if endpoint is None:
            raise RuntimeError(f"profileflow did not start ({' '.join(_command())}): {proc.stderr.read()}")
    finally:
        watchdog.cancel()
    try:
        yield Profileflow(endpoint)
    finally:
        proc.terminate()  # SIGTERM: finishes requests in flight, exits 0
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def pf(profileflow):
    """The service, emptied for this test."""
    profileflow.reset()
    profileflow.faults([])
    return profileflow


@pytest.fixture
def client(pf):
    """A boto3 `customer-profiles` client of account 000000000000 against the emptied service."""
    return pf.client()
