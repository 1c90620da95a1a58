"""deploy/kubernetes/ as a cluster would take it, with no cluster here: every manifest valid
against the Kubernetes schemas (kubernetes-validate bundles them: no network), every
variable one the settings know, passwords only in the Secret, read through *_FILE
settings, the probes, grace period and objects wired to one another, and the connection
budget of the most pods there may be within the PostgreSQL server's stated limit."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from app.connection_budget import SHARE
from tests.support.environment import known, load

ROOT = Path(__file__).parents[1]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
# The oldest Kubernetes release still maintained upstream when this was written: what a
# manifest uses must be there already.
KUBERNETES = "1.31.0"
# The ConfigMap's statement of the PostgreSQL server's max_connections it is sized for.
POSTGRES_LIMIT = "multidb/postgres-max-connections"


def manifest(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents() if doc["kind"] == kind]
    return found


def documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def pod(kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = manifest(kind)["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    deployment = copy.deepcopy(manifest("Deployment"))
    deployment["spec"]["template"]["spec"]["terminationGracePeriodSecond"] = 45
    with pytest.raises(kubernetes_validate.ValidationError, match="terminationGracePeriodSecond"):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_every_variable_is_a_setting_and_the_settings_load_with_the_secret_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data: dict[str, str] = manifest("ConfigMap")["data"]
    assert [variable for variable in data if not known(variable)] == []
    # The Secret's files where the pods mount them, here under tmp_path.
    (volume,) = pod("Deployment")["volumes"]
    (mount,) = pod("Deployment")["containers"][0]["volumeMounts"]
    secrets: dict[str, str] = manifest("Secret")["stringData"]
    for name, value in secrets.items():
        (tmp_path / name).write_text(value)
    moved = {name: value.replace(mount["mountPath"], str(tmp_path)) for name, value in data.items()}

    settings = load(monkeypatch, **moved)

    assert volume["secret"]["secretName"] == manifest("Secret")["metadata"]["name"]
    configs = settings.database_configs()
    assert configs["default"].password == secrets["db_password"]
    assert configs["products_db"].password == secrets["db_password"]
    assert configs["users_db"].password == secrets["users_db_password"]
    # Every secret file is read by some *_FILE setting, and no password is in the ConfigMap.
    read = {Path(value).name for name, value in data.items() if name.endswith("_FILE")}
    assert read == set(secrets)
    assert not [name for name in data if name.endswith(("PASSWORD", "API_KEYS", "CONNECTION_STRING"))]


def test_the_probes_and_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = pod("Deployment")
    (container,) = spec["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    data = manifest("ConfigMap")["data"]
    assert container["ports"][0]["containerPort"] == int(data["PORT"])
    assert data["HOST"] == "0.0.0.0"  # reachable from the kubelet's probes and the Service
    assert int(data["WORKERS"]) >= 1
    # The readiness probe waits longer than /health/ready may take to answer.
    settings = load(monkeypatch, **{k: v for k, v in data.items() if not k.endswith("_FILE")})
    assert container["readinessProbe"]["timeoutSeconds"] > settings.HEALTH_TIMEOUT
    # SIGTERM comes after the preStop pause; then the longest request may take QUERY_TIMEOUT.
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    longest = max(config.QUERY_TIMEOUT for config in settings.database_configs().values())
    assert spec["terminationGracePeriodSeconds"] > pause + longest
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["limits"]["memory"]


def test_the_service_the_autoscaler_and_the_migration_job_point_at_the_deployment() -> None:
    deployment = manifest("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = manifest("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    target = manifest("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    job = pod("Job")
    (migrate,) = job["containers"]
    (app,) = pod("Deployment")["containers"]
    assert migrate["command"] == ["python", "-m", "app", "db", "upgrade"]
    assert migrate["image"] == app["image"]
    assert migrate["envFrom"] == app["envFrom"]
    assert migrate["volumeMounts"] == app["volumeMounts"]
    assert job["volumes"] == pod("Deployment")["volumes"]
    # The Job's pods are not the Service's: they carry other labels.
    job_labels = manifest("Job")["spec"]["template"]["metadata"]["labels"]
    assert not service["spec"]["selector"].items() <= job_labels.items()


def test_the_most_pods_there_may_be_stay_within_the_postgresql_connection_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the service warns of at startup (app/connection_budget.py), checked before a
    cluster sees it: at hpa.yaml's maxReplicas, plus the pod a rollout adds (maxSurge),
    every worker's pools on every PostgreSQL database of one server add up to at most
    SHARE of the max_connections that the ConfigMap states."""
    configmap = manifest("ConfigMap")
    data = configmap["data"]
    limit = int(configmap["metadata"]["annotations"][POSTGRES_LIMIT])
    settings = load(monkeypatch, **{k: v for k, v in data.items() if not k.endswith("_FILE")})
    surge = manifest("Deployment")["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    pods = manifest("HorizontalPodAutoscaler")["spec"]["maxReplicas"] + surge
    per_server: Counter[tuple[str | None, int | None]] = Counter()
    for config in settings.database_configs().values():
        if config.DB_TYPE == "postgres":
            assert not config.READ_REPLICAS  # each would take as many again: count them here
            per_server[config.DB_HOST, config.DB_PORT] += config.POOL_SIZE + config.MAX_OVERFLOW

    assert per_server, "no PostgreSQL database in the ConfigMap: the limit states nothing"
    for server, per_worker in per_server.items():
        budget = pods * settings.WORKERS * per_worker
        assert budget <= SHARE * limit, f"{server}: {budget} connections, limit {limit}"
