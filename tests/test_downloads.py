"""Downloads against a local http.server on 127.0.0.1 (never the network): checksums, resume, offline, safety."""
from __future__ import annotations

import hashlib
import io
import socket
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from clskit.datasets import remote
from clskit.datasets.remote import DownloadError, RemoteFile, download_url, extract_archive, fetch

PAYLOAD = bytes(np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8))


class _Server:
    """Serves ``files`` (path -> bytes) with HTTP Range support; ``cut`` paths send half, then hang up once."""

    def __init__(self):
        self.files, self.cut, self.ranges = {}, set(), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = outer.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                outer.ranges.append(rng)
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in outer.cut:
                    outer.cut.discard(self.path)       # only the first attempt is interrupted
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    s.files["/data.bin"] = PAYLOAD
    yield s
    s.close()


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def test_download_with_md5_and_sha256(server, tmp_path):
    dest = download_url(server.url + "/data.bin", tmp_path / "a" / "data.bin", md5=md5(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "a" / "data.bin.part").exists()
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    dest2 = download_url(server.url + "/data.bin", tmp_path / "b.bin", sha256=sha, progress=False)
    assert dest2.read_bytes() == PAYLOAD
    n = len(server.ranges)
    download_url(server.url + "/data.bin", dest2, sha256=sha, progress=False)   # cached: no new request
    assert len(server.ranges) == n


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_url(server.url + "/data.bin", tmp_path / "data.bin", md5="0" * 32, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_resumes(server, tmp_path):
    server.cut.add("/data.bin")
    dest = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="resumes"):
        download_url(server.url + "/data.bin", dest, md5=md5(PAYLOAD), progress=False)
    part = tmp_path / "data.bin.part"
    assert not dest.exists() and 0 < part.stat().st_size < len(PAYLOAD)
    half = part.stat().st_size
    download_url(server.url + "/data.bin", dest, md5=md5(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD and not part.exists()
    assert server.ranges[-1] == f"bytes={half}-"


def test_offline_message_says_what_to_do(tmp_path):
    with socket.socket() as s:                       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/file.zip"
    with pytest.raises(DownloadError) as e:
        download_url(url, tmp_path / "file.zip", md5="ab" * 16, progress=False, timeout=5)
    msg = str(e.value)
    assert url in msg and "by hand" in msg and str(tmp_path / "file.zip") in msg and "ab" * 16 in msg
    assert not (tmp_path / "file.zip").exists()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _tar(path, build):
    with tarfile.open(path, "w:gz") as t:
        build(t)


def _add(t, name, data=b"x", **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    info.size = 0 if kw.get("type") in (tarfile.SYMTYPE, tarfile.LNKTYPE) else len(data)
    t.addfile(info, None if info.size == 0 else io.BytesIO(data))


def test_extraction_refuses_path_traversal(tmp_path):
    (tmp_path / "evil.zip").write_bytes(_zip({"ok.txt": b"1", "../evil.txt": b"2"}))
    with pytest.raises(DownloadError, match="outside"):
        extract_archive(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()
    _tar(tmp_path / "abs.tgz", lambda t: _add(t, "/tmp/abs_evil.txt"))
    with pytest.raises(DownloadError, match="outside"):
        extract_archive(tmp_path / "abs.tgz", tmp_path / "out")
    _tar(tmp_path / "link.tgz", lambda t: _add(t, "link", type=tarfile.SYMTYPE, linkname="../../etc/passwd"))
    with pytest.raises(DownloadError, match="outside"):
        extract_archive(tmp_path / "link.tgz", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.extracting").exists()


def test_extraction_of_good_archives(tmp_path):
    (tmp_path / "good.zip").write_bytes(_zip({"a/b.txt": b"hello"}))
    out = extract_archive(tmp_path / "good.zip", tmp_path / "z")
    assert (out / "a" / "b.txt").read_bytes() == b"hello"
    _tar(tmp_path / "good.tgz", lambda t: (_add(t, "d/f.txt", b"hi"), _add(t, "d/l", type=tarfile.SYMTYPE, linkname="f.txt")))
    out = extract_archive(tmp_path / "good.tgz", tmp_path / "t")
    assert (out / "d" / "f.txt").read_bytes() == b"hi"
    (tmp_path / "junk.zip").write_bytes(b"not an archive")
    with pytest.raises(DownloadError, match="not a zip or tar"):
        extract_archive(tmp_path / "junk.zip", tmp_path / "j")


def test_fetch_and_load_registered_sets_from_local_server(server, tmp_path, monkeypatch):
    # A fake PneumoniaMNIST npz and a fake hymenoptera zip, served locally, through the real loaders.
    monkeypatch.setenv("CLSKIT_DATA", str(tmp_path / "cache"))
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(buf, **{f"{s}_images": rng.integers(0, 255, (6, 28, 28), dtype=np.uint8) for s in ("train", "val", "test")},
             **{f"{s}_labels": np.array([[0], [1], [1], [0], [1], [1]]) for s in ("train", "val", "test")})
    server.files["/pneumonia.npz"] = buf.getvalue()
    members = {}
    for split in ("train", "val"):
        for cls in ("ants", "bees"):
            for i in range(2):
                png = io.BytesIO()
                Image.new("RGB", (20, 12), (i * 100, 50, 0)).save(png, "PNG")
                members[f"hymenoptera_data/{split}/{cls}/{i}.png"] = png.getvalue()
    server.files["/hym.zip"] = _zip(members)
    monkeypatch.setitem(remote.REMOTE, "pneumoniamnist",
                        [RemoteFile(server.url + "/pneumonia.npz", "pneumoniamnist.npz", md5=md5(buf.getvalue()))])
    monkeypatch.setitem(remote.REMOTE, "hymenoptera",
                        [RemoteFile(server.url + "/hym.zip", "hymenoptera_data.zip", extract=True)])
    from clskit.datasets import load_dataset

    ds = load_dataset("pneumoniamnist", split="valid", rgb=True)
    assert ds.image_shape == (3, 28, 28) and ds.classes == ["normal", "pneumonia"] and len(ds) == 6
    hym = load_dataset("hymenoptera", split="train", size=16)
    assert hym.classes == ["ants", "bees"] and len(hym) == 4 and hym.image_shape == (3, 16, 16)
    assert (tmp_path / "cache" / "hymenoptera" / "hymenoptera_data.zip").is_file()
    with pytest.raises(DownloadError, match="download=False"):
        fetch("cifar10", download=False)
