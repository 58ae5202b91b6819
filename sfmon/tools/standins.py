"""Stand-ins for the certificate and credential files the rendered configs name (validate).

promtool reads some of the files a config names: `check config` stats every cert_file,
key_file and credentials_file, and `check web-config` loads the server's certificate and
key. On the machine that runs the stack those files exist and are checked as they are.
Elsewhere (CI, a laptop) `sfmon validate` checks a scratch copy in which each missing
file is replaced by a throwaway one (a self-signed pair made with openssl, or a text
file): the configs are proven, the deployment's certificates and secrets are not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from sfmon.render.outputs import OUTPUTS
from sfmon.tools.runner import TIMEOUT, ToolMissing, find, written

DIRECTORY = ".sfmon-standin"
# key -> kind of stand-in. Values are rendered as JSON-quoted scalars, one per line.
KINDS = {"cert_file": "cert", "client_ca_file": "cert", "ca_file": "cert", "key_file": "key",
         "credentials_file": "text", "bearer_token_file": "text", "password_file": "text"}  # fmt: skip
_REF = re.compile(r'^[ \t-]*(' + "|".join(KINDS) + r'):[ \t]*("(?:[^"\\]|\\.)*")[ \t]*$', re.M)


def prepare(workdir: Path) -> list[str]:
    """Point every file reference that does not exist here at a stand-in, in place (the
    copies live in validate's scratch directory; lines stay where they were). Returns the
    paths that were replaced."""
    replaced: set[str] = set()
    for name in (rel for output in OUTPUTS if output.standins for rel in written(output, workdir)):
        path = workdir / name
        text = path.read_text(encoding="utf-8")
        swaps: dict[str, str] = {}
        for m in _REF.finditer(text):
            ref = json.loads(m.group(2))
            if isinstance(ref, str) and ref.startswith("/") and not os.access(ref, os.R_OK):
                swaps[m.group(0)] = m.group(0).replace(m.group(2), json.dumps(str(standin(workdir / DIRECTORY, KINDS[m.group(1)]))))
                replaced.add(ref)
        if swaps:
            path.write_text(_REF.sub(lambda m: swaps.get(m.group(0), m.group(0)), text), encoding="utf-8")
    return sorted(replaced)


def standin(directory: Path, kind: str) -> Path:
    """The stand-in file of a kind ("cert", "key" or "text"), made once per directory."""
    if kind == "text":
        path = directory / "standin.txt"
        if not path.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text("sfmon-standin\n", encoding="utf-8")
        return path
    cert, key = _pair(directory)
    return key if kind == "key" else cert


def _pair(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key; the certificate also serves as a CA."""
    cert, key = directory / "standin.crt", directory / "standin.key"
    if cert.is_file() and key.is_file():
        return cert, key
    directory.mkdir(parents=True, exist_ok=True)
    try:
        openssl = find("openssl")
    except ToolMissing:
        raise ToolMissing("openssl", "openssl") from None
    args = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=sfmon-standin",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]  # fmt: skip
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise RuntimeError(f"openssl could not make a stand-in certificate: {exc}") from None
    return cert, key
