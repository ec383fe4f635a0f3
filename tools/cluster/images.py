"""Container images written as docker-archive tars, without any daemon or registry.

`ctr images import` (and `podman load`) read this format: one layer tar, an image config and a
manifest.json naming the tags. Enough for images that are a few static binaries.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _layer(files: Mapping[str, Path], writable_dirs: Sequence[str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as layer:
        for directory in writable_dirs:
            info = tarfile.TarInfo(directory.strip("/"))
            info.type, info.mode = tarfile.DIRTYPE, 0o1777
            layer.addfile(info)
        for destination, source in sorted(files.items()):
            info = layer.gettarinfo(str(source), arcname=destination.strip("/"))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755
            with source.open("rb") as content:
                layer.addfile(info, content)
    return buffer.getvalue()


def docker_archive(
    archive: Path,
    tags: Sequence[str],
    files: Mapping[str, Path],
    entrypoint: Sequence[str],
    user: int,
    writable_dirs: Sequence[str] = ("/tmp",),
) -> None:
    """Writes an image of ``files`` (destination in the image -> file here) tagged ``tags``."""
    layer = _layer(files, writable_dirs)
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"User": f"{user}:{user}", "Entrypoint": list(entrypoint), "Env": [PATH], "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
            "history": [{"created_by": "learnflow tools/cluster/images.py"}],
        }
    ).encode()
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": list(tags), "Layers": [f"{layer_digest}/layer.tar"]}])
    with tarfile.open(archive, "w") as out:
        for name, content in (
            (f"{layer_digest}/layer.tar", layer),
            (config_name, config),
            ("manifest.json", manifest.encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            out.addfile(info, io.BytesIO(content))
