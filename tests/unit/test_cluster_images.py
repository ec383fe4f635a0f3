"""The docker-archive images `make cluster-up` imports into containerd are well formed: the layer
and config the manifest names exist, and the config's diff_id is the layer's digest."""

from __future__ import annotations

import hashlib
import json
import stat
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "cluster"))

from images import docker_archive  # noqa: E402 - tools/cluster is not a package


def test_archive_names_its_layer_and_config_by_digest_and_keeps_binaries_executable(tmp_path: Path) -> None:
    binary = tmp_path / "pause"
    binary.write_bytes(b"\x7fELF not really")
    archive = tmp_path / "pause.tar"

    docker_archive(archive, ["registry.k8s.io/pause:3.10"], {"/pause": binary}, entrypoint=["/pause"], user=65535)

    with tarfile.open(archive) as image:
        manifest = json.loads(image.extractfile("manifest.json").read())  # type: ignore[union-attr]
        [entry] = manifest
        layer = image.extractfile(entry["Layers"][0]).read()  # type: ignore[union-attr]
        config_bytes = image.extractfile(entry["Config"]).read()  # type: ignore[union-attr]
    config = json.loads(config_bytes)
    assert entry["RepoTags"] == ["registry.k8s.io/pause:3.10"]
    assert entry["Config"] == f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    assert config["rootfs"]["diff_ids"] == [f"sha256:{hashlib.sha256(layer).hexdigest()}"]
    assert config["config"]["Entrypoint"] == ["/pause"]
    assert config["config"]["User"] == "65535:65535"
    (tmp_path / "layer.tar").write_bytes(layer)
    with tarfile.open(tmp_path / "layer.tar") as files:
        members = {member.name: member for member in files.getmembers()}
    assert members["pause"].mode & stat.S_IXUSR
    assert members["tmp"].isdir()
    assert members["tmp"].mode == 0o1777


def test_cluster_addons_validate_against_the_upstream_schema() -> None:
    """CoreDNS and the default StorageClass that `make cluster-up` applies (placeholders filled)."""
    import kubernetes_validate
    import yaml

    text = (REPO / "tools" / "cluster" / "addons.yaml").read_text()
    text = text.replace("$DNS_SERVICE_IP", "10.96.0.10").replace("$COREDNS_IMAGE", "learnflow.local/coredns:1.15.0")
    documents = [doc for doc in yaml.safe_load_all(text) if doc]

    for document in documents:
        kubernetes_validate.validate(document, "1.33.0", strict=True)
    classes = [doc for doc in documents if doc["kind"] == "StorageClass"]
    assert [c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] for c in classes] == ["true"]
