"""Settings of a shared deployment: logins from --auth and --auth-file, each bad value a one-line error
that hides the password, and the warning for an open deployment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from search.access import (
    Access,
    BadAuth,
    access_from_args,
    exposure_warning,
    mcp_setting,
    parse_user,
    read_auth_file,
)

ROOT = Path(__file__).resolve().parents[2]


def test_users_from_flags_and_a_file(tmp_path):
    logins = tmp_path / "users.txt"
    logins.write_text("# team\nli:s3cret\n\nwang:pa:ss:word\n", encoding="utf-8")
    access = access_from_args(["admin:x"], logins, read_only=True)
    assert access.auth == [("admin", "x"), ("li", "s3cret"), ("wang", "pa:ss:word")]
    assert access.read_only and Access().auth is None


@pytest.mark.parametrize("value", ["nocolon", ":pw", "user:", "", "user :pw"])
def test_a_bad_auth_value_is_one_line_without_the_password(value):
    with pytest.raises(BadAuth) as err:
        parse_user(value)
    message = str(err.value)
    assert "\n" not in message and "USER:PASSWORD" in message or "spaces" in message
    assert "pw" not in message


def test_bad_auth_files_and_repeated_users(tmp_path):
    with pytest.raises(BadAuth, match="cannot read"):
        read_auth_file(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody\n", encoding="utf-8")
    with pytest.raises(BadAuth, match="no user:password"):
        read_auth_file(empty)
    bad = tmp_path / "bad.txt"
    bad.write_text("li:ok\nwang\n", encoding="utf-8")
    with pytest.raises(BadAuth, match="line 2"):
        read_auth_file(bad)
    with pytest.raises(BadAuth, match="given twice"):
        access_from_args(["li:a", "li:b"])


def test_the_warning_names_an_open_deployment_only():
    assert exposure_warning("127.0.0.1", Access()) == ""
    assert exposure_warning("0.0.0.0", Access((("li", "pw"),))) == ""
    open_one = exposure_warning("0.0.0.0", Access())
    assert "without --auth" in open_one and "upload" in open_one
    assert "upload" not in exposure_warning("0.0.0.0", Access(read_only=True))


def test_the_app_stops_with_one_line_on_a_bad_auth_value():
    run = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--auth", "nocolon"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        "error: --auth: expected USER:PASSWORD with both parts non-empty, got 'nocolon'"
    ]


def test_mcp_is_off_with_a_login_and_says_so():
    assert mcp_setting(Access(), True) == (True, "")
    assert mcp_setting(Access(), False) == (False, "")
    served, warning = mcp_setting(Access((("li", "pw"),)), True)
    assert not served and "MCP is off" in warning and "\n" not in warning
