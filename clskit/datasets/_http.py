"""Resumable HTTP downloads into a ``.part`` file (the transfer behind :func:`clskit.datasets.remote.download_url`).

A partial download is resumed only when the server still holds the file it was started from: the
first response's ETag (or Last-Modified date) is kept beside the partial file in ``<file>.part.json``
and sent back as ``If-Range`` with the ``Range`` request (RFC 9110, 13.1.5). A server whose file has
changed answers with the whole new file (200), which replaces the partial one instead of being
spliced onto it.
"""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from pathlib import Path


def record_path(part: Path) -> Path:
    """Where the URL and validator of a partial download are kept: ``<file>.part.json``."""
    return part.with_name(part.name + ".json")


def free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``, ...: the first name not taken, so nothing is overwritten."""
    candidate, i = path, 0
    while candidate.exists():
        i += 1
        candidate = path.with_name(f"{path.name}.{i}")
    return candidate


def _read_record(part: Path) -> dict:
    try:
        return json.loads(record_path(part).read_text())
    except (OSError, ValueError):   # no record, or a damaged one: the partial file is not trusted
        return {}


def fetch_part(url: str, part: Path, timeout: float, chunk_size: int, progress: bool, desc: str) -> None:
    """Fill ``part`` with ``url``'s content, resuming it when the server's file is the one it started from.

    Raises:
        urllib.error.URLError, http.client.HTTPException, OSError: the transfer failed (``part`` keeps
        what arrived, so a second call resumes it).
    """
    from tqdm.auto import tqdm

    offset = part.stat().st_size if part.is_file() else 0
    record = _read_record(part) if offset else {}
    if record.get("url") != url:
        offset = 0   # a partial file of unknown origin: not spliced onto, fetched again
    request = urllib.request.Request(url, headers={"User-Agent": "clskit"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
        if record.get("validator"):   # 206 only for the same file; a changed file comes whole (200)
            request.add_header("If-Range", record["validator"])
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not offset:
            raise
        # 416: the partial file reaches or passes the end of the server's file. It is complete only when
        # its length is the server's (Content-Range "bytes */LENGTH"); longer means stale: start again
        total = (e.headers.get("Content-Range") or "").rpartition("/")[2]
        if total.isdigit() and int(total) == offset:
            return
        part.unlink()
        return fetch_part(url, part, timeout, chunk_size, progress, desc)
    with response:
        if offset and getattr(response, "status", 200) != 206:   # the file changed (or Range was ignored)
            offset = 0
        if not offset:
            record_path(part).write_text(json.dumps({"url": url, "validator": _validator(response.headers)}))
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        with open(part, "ab" if offset else "wb") as f, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                desc=desc, disable=not progress, leave=False) as bar:
            while block := response.read(chunk_size):
                f.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size < total:  # the connection closed early
        raise http.client.IncompleteRead(b"", total - part.stat().st_size)


def _validator(headers) -> str | None:
    """What ``If-Range`` may carry: a strong ETag, else the Last-Modified date (weak ETags are not allowed)."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")
