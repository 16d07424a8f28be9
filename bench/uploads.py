"""Documents: what a 2 GB upload costs the server, and how long clamd takes on a typical PDF.

    python -m bench.uploads                 # both measures
    python -m bench.uploads --scan-only

The upload measure starts ``casework serve`` (waitress, as in production) on a fresh SQLite
database in a temporary folder, signs an agent in, then sends a 2 GB upload to a case's upload
page twice — once with its ``Content-Length``, once chunked (no length, as a client streaming
from a pipe would) — reading the server's resident memory (``VmRSS`` in ``/proc``) every 50 ms.
It reports when the 413 came, how many bytes had been sent by then, and the server's peak memory
against its memory before the upload.

The scan measure starts Debian's clamd with the test database (one signature: EICAR; see
tests/clamav.py) and scans a 1.6 MB PDF (a scanned page: a photo-like image in a PDF) twenty
times. With the production signature database (several million signatures) clamd loads for a
minute and uses about 1 GB of memory; a scan then takes longer than with one signature — the
figure here is the protocol's and the file's cost, not the signatures'.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

PASSWORD = "Banc-d-essai-des-documents-2026"
TWO_GB = 2 * 1024**3
CHUNK = 1024 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)


def _run(folder: Path, *args: str) -> str:
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(folder)}
    casework = str(Path(sys.executable).with_name("casework"))
    done = subprocess.run([casework, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _prepare(folder: Path) -> int:
    _run(folder, "init")
    _run(
        folder, "user", "create", "agente.banc", "--name", "Agente Banc", "--role", "agent",
        "--region", "06", "--service-point", "DR-MTL", "--password", PASSWORD,
    )  # fmt: skip
    script = (
        "from casework.app import create_app\n"
        "from casework.extensions import db\n"
        "from casework.auth.operations import find_user\n"
        "from casework.cases import operations as c\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    case = c.open_case(find_user('agente.banc'), c.PersonFields('Aïcha', 'Banc',"
        " 'economic'), 'walk_in')\n"
        "    db.session.commit()\n"
        "    print(case.id)\n"
    )
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(folder)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


class Browser:
    """Just enough of a browser: one cookie jar, CSRF tokens from the pages."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, {}

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _keep(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]

    def _cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, path: str) -> str:
        connection = self._connection()
        connection.request("GET", path, headers={"Cookie": self._cookie()})
        response = connection.getresponse()
        self._keep(response)
        return response.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get(path))[1]

    def post(self, path: str, fields: dict[str, str]) -> int:
        connection = self._connection()
        body = urllib.parse.urlencode(fields)
        connection.request(
            "POST",
            path,
            body,
            {"Cookie": self._cookie(), "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        self._keep(response)
        response.read()
        return response.status

    def huge_upload(self, path: str, chunked: bool) -> dict:
        """Send 2 GB of a « PDF » as multipart; stop sending when the server answers."""
        token = self.token(path)
        boundary = "----casework-bench"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\ndiploma\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nÉnorme\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="enorme.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        connection = self._connection()
        connection.putrequest("POST", path)
        connection.putheader("Cookie", self._cookie())
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        else:
            connection.putheader("Content-Length", str(len(head) + TWO_GB))
        connection.endheaders()
        sent, started = 0, time.monotonic()
        payload = b"%PDF-1.7\n" + bytes(CHUNK - 9)
        try:
            connection.sock.settimeout(0.5)
            self._send(connection, head, chunked)
            while sent < TWO_GB:
                self._send(connection, payload, chunked)
                sent += CHUNK
                if self._answered(connection):
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.sock.settimeout(30)
        response = connection.getresponse()
        response.read()
        return {
            "status": response.status,
            "sent_mb": round(sent / CHUNK),
            "seconds": round(time.monotonic() - started, 2),
        }

    @staticmethod
    def _send(connection, data: bytes, chunked: bool) -> None:
        connection.sock.sendall(f"{len(data):X}\r\n".encode() + data + b"\r\n" if chunked else data)

    @staticmethod
    def _answered(connection) -> bool:
        import select

        readable, _, _ = select.select([connection.sock], [], [], 0)
        return bool(readable)


def measure_upload() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    case_id = _prepare(folder)
    port = 5600 + os.getpid() % 300
    env = {**os.environ, "CASEWORK_INSTANCE_PATH": str(folder), "CASEWORK_SCANNING": "off"}
    casework = str(Path(sys.executable).with_name("casework"))
    server = subprocess.Popen(
        [casework, "serve", "--port", str(port), "--threads", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        browser = Browser(port)
        status = browser.post(
            "/connexion",
            {
                "username": "agente.banc",
                "password": PASSWORD,
                "csrf_token": browser.token("/connexion"),
            },
        )
        assert status == 302, status
        path = f"/dossiers/{case_id}/documents/nouveau"
        browser.get(path)
        results = {"rss_before_mib": round(rss_kib(server.pid) / 1024, 1)}
        for chunked in (False, True):
            watch = MemoryWatch(server.pid)
            watch.start()
            outcome = browser.huge_upload(path, chunked)
            time.sleep(0.3)
            watch.running = False
            watch.join()
            outcome["rss_peak_mib"] = round(watch.peak / 1024, 1)
            results["chunked" if chunked else "content_length"] = outcome
        results["rss_after_mib"] = round(rss_kib(server.pid) / 1024, 1)
        return results
    finally:
        server.terminate()
        server.wait(timeout=20)


def typical_pdf() -> bytes:
    """A scanned page: an A4 photo-like image (noise, which does not compress) in a PDF."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.frombytes("RGB", (1240, 1754), os.urandom(1240 * 1754 * 3))
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=40)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.drawImage(ImageReader(io.BytesIO(jpeg.getvalue())), 0, 0, *A4)
    page.save()
    return out.getvalue()


def measure_scan(runs: int = 20) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from casework.attachments.scanner import Clamd
    from tests import clamav

    daemon = clamav.prepare(Path(tempfile.mkdtemp(prefix="bench-clamd-")))
    daemon.start()
    try:
        scanner = Clamd(daemon.socket, 60)
        data = typical_pdf()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            assert scanner.scan(io.BytesIO(data)).clean
            times.append((time.perf_counter() - started) * 1000)
        return {
            "pdf_kib": len(data) // 1024,
            "scan_ms_median": round(statistics.median(times), 1),
            "scan_ms_max": round(max(times), 1),
        }
    finally:
        daemon.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan-only", action="store_true")
    args = parser.parse_args()
    if not args.scan_only:
        print("upload of 2 GB:", measure_upload())
    print("scan of a typical PDF:", measure_scan())


if __name__ == "__main__":
    main()
