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
    """Serves ``files`` (path -> bytes) with HTTP Range and If-Range support (the ETag is the content's
    MD5, or no validator at all with ``etag=False``); ``cut`` paths send half, then hang up once."""

    def __init__(self):
        self.files, self.cut, self.ranges, self.if_ranges, self.etag = {}, set(), [], [], True
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
                rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
                outer.ranges.append(rng)
                outer.if_ranges.append(if_range)
                etag = f'"{md5(data)}"'
                if rng and if_range is not None and if_range != etag:
                    rng = None       # the file changed since the client's copy started: send all of it
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                if outer.etag:
                    self.send_header("ETag", etag)
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


# -- nothing a user made is deleted; resuming only the same file ----------------------------------
def _offline_url(name="data.bin") -> str:
    with socket.socket() as s:                       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


def test_a_file_placed_by_hand_is_kept_when_the_download_fails(tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"my own copy, another version")
    with pytest.raises(DownloadError) as e:
        download_url(_offline_url(), dest, md5=md5(PAYLOAD), progress=False, timeout=5)
    assert dest.read_bytes() == b"my own copy, another version"
    assert "left as it was" in str(e.value) and str(dest) in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_a_file_placed_by_hand_survives_a_damaged_download(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"mine")
    with pytest.raises(DownloadError, match="checksum mismatch.*left as it was"):
        download_url(server.url + "/data.bin", dest, md5="0" * 32, progress=False)
    assert dest.read_bytes() == b"mine" and sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_a_file_placed_by_hand_is_moved_aside_once_a_verified_copy_exists(server, tmp_path):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.checksum-mismatch").write_bytes(b"an older one, also kept")
    dest.write_bytes(b"mine")
    with pytest.warns(UserWarning, match=r"moved to .*data\.bin\.checksum-mismatch\.1 \(not deleted\)"):
        download_url(server.url + "/data.bin", dest, md5=md5(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert (tmp_path / "data.bin.checksum-mismatch.1").read_bytes() == b"mine"
    assert (tmp_path / "data.bin.checksum-mismatch").read_bytes() == b"an older one, also kept"


def test_resume_sends_if_range_and_restarts_when_the_server_file_changed(server, tmp_path):
    dest, part = tmp_path / "data.bin", tmp_path / "data.bin.part"
    server.cut.add("/data.bin")
    with pytest.raises(DownloadError, match="resumes"):
        download_url(server.url + "/data.bin", dest, progress=False)
    assert 0 < part.stat().st_size < len(PAYLOAD) and (tmp_path / "data.bin.part.json").is_file()
    new = PAYLOAD[::-1]                                # the server now holds another version
    server.files["/data.bin"] = new
    download_url(server.url + "/data.bin", dest, md5=md5(new), progress=False)
    assert server.if_ranges[-1] == f'"{md5(PAYLOAD)}"'  # the version the partial file started from
    assert dest.read_bytes() == new                    # not half of each
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_resume_of_the_same_file_sends_its_etag_and_appends(server, tmp_path):
    server.cut.add("/data.bin")
    dest = tmp_path / "data.bin"
    with pytest.raises(DownloadError):
        download_url(server.url + "/data.bin", dest, progress=False)
    half = (tmp_path / "data.bin.part").stat().st_size
    download_url(server.url + "/data.bin", dest, md5=md5(PAYLOAD), progress=False)
    assert server.ranges[-1] == f"bytes={half}-" and server.if_ranges[-1] == f'"{md5(PAYLOAD)}"'
    assert dest.read_bytes() == PAYLOAD


def test_a_partial_file_longer_than_the_server_file_is_not_taken_as_complete(server, tmp_path):
    dest, part = tmp_path / "data.bin", tmp_path / "data.bin.part"
    part.write_bytes(PAYLOAD + b"stale tail from another version")
    (tmp_path / "data.bin.part.json").write_text(f'{{"url": "{server.url}/data.bin", "validator": null}}')
    download_url(server.url + "/data.bin", dest, progress=False)      # no checksum: only the length can tell
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges[-2] == f"bytes={len(PAYLOAD) + 31}-" and server.ranges[-1] is None   # 416, then afresh
    # a partial file of exactly the server's length is complete: no second request
    part.write_bytes(PAYLOAD)
    (tmp_path / "data.bin.part.json").write_text(f'{{"url": "{server.url}/data.bin", "validator": null}}')
    n = len(server.ranges)
    download_url(server.url + "/data.bin", tmp_path / "data.bin", progress=False)
    assert dest.read_bytes() == PAYLOAD and len(server.ranges) == n     # cached dest: nothing requested
    (tmp_path / "other.bin.part").write_bytes(PAYLOAD)
    (tmp_path / "other.bin.part.json").write_text(f'{{"url": "{server.url}/data.bin", "validator": null}}')
    download_url(server.url + "/data.bin", tmp_path / "other.bin", md5=md5(PAYLOAD), progress=False)
    assert server.ranges[-1] == f"bytes={len(PAYLOAD)}-" and len(server.ranges) == n + 1


def test_a_partial_file_of_unknown_origin_is_fetched_again_not_spliced(server, tmp_path):
    server.etag = False
    (tmp_path / "data.bin.part").write_bytes(b"x" * 1000)           # no record of where it came from
    download_url(server.url + "/data.bin", tmp_path / "data.bin", progress=False)
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD and server.ranges[-1] is None


def test_a_bare_file_name_as_url_says_what_to_pass(tmp_path):
    with pytest.raises(DownloadError, match=r"url='data\.zip' is not an address.*https://") as e:
        download_url("data.zip", tmp_path / "data.zip", progress=False)
    assert str(tmp_path / "data.zip") in str(e.value) and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_a_truncated_archive_says_what_to_do_and_is_left_in_place(tmp_path, kind):
    rng = np.random.default_rng(0)
    members = {f"d/{i}.bin": bytes(rng.integers(0, 256, 20_000, dtype=np.uint8)) for i in range(4)}
    whole = tmp_path / f"whole.{kind}"
    if kind == "zip":
        whole.write_bytes(_zip(members))
    else:
        _tar(whole, lambda t: [_add(t, name, data) for name, data in members.items()])
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) * 2 // 3])
    before = cut.read_bytes()
    with pytest.raises(DownloadError, match=r"cut\.(zip|tgz) is truncated or damaged .*; delete .* download it afresh"):
        extract_archive(cut, tmp_path / "out")
    assert cut.read_bytes() == before and not (tmp_path / "out").exists()
    assert not (tmp_path / "out.extracting").exists()
