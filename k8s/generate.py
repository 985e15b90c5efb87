#!/usr/bin/python3
"""Writes the Kustomize base and overlays of k8s/ (deterministic; the same files every run).
Base: per service a ConfigMap, Deployment (2 replicas, native gRPC probes on the plaintext
health port, requests and limits, non-root read-only security context, Secret references for
the database password, the service's own token signing key and the TLS certificates; the
identity provider's public keys (JWKS) from a ConfigMap), Service, PodDisruptionBudget,
HorizontalPodAutoscaler and a NetworkPolicy admitting only its callers (ARCHITECTURE.md), API
clients and Prometheus; the gateway (HTTP probes, admitted by every service, reached through
the Ingress controller) and the contracts' descriptor set for Envoy; a default-deny policy. Overlays: lab (a MySQL 8 StatefulSet per
service) and production (external databases named in Secrets).
Run: /usr/bin/python3 k8s/generate.py"""
import base64
import json
import os
import subprocess

import yaml

SERVICES = {
    "catalog": "peixun.catalog.v1.CatalogService",
    "enrollment": "peixun.enrollment.v1.EnrollmentService",
    "evaluation": "peixun.evaluation.v1.EvaluationService",
    "funding": "peixun.funding.v1.FundingService",
}
# Who calls whom (ARCHITECTURE.md): callee -> callers.
CALLEES = {
    "enrollment": ["catalog"],
    "evaluation": ["enrollment", "funding", "catalog"],
    "funding": ["evaluation", "catalog", "enrollment"],
    # R-7: seats nominations hold, before a county quota is cut; R-27: project-county status,
    # before a county gets 项目县 seats.
    "catalog": ["enrollment", "funding"],
}
# The gateway calls every service with its callers' own tokens (ARCHITECTURE.md).
CALLERS = {s: sorted(c for c, deps in CALLEES.items() if s in deps) + ["gateway"] for s in SERVICES}
GRPC, HEALTH, METRICS, MYSQL = 50051, 50061, 9101, 3306
HTTP, GATEWAY_METRICS = 8080, 9105
CONTRACTS = ["peixun/common/v1/common.proto"] + [f"peixun/{s}/v1/{s}.proto" for s in SERVICES]
GOOGLEAPIS = "/usr/share/gocode/src/github.com/gogo/googleapis"
LABEL = "app.kubernetes.io/name"
PART_OF = {"app.kubernetes.io/part-of": "peixun"}


def labels(service):
    return {LABEL: service, **PART_OF}


def config_map(service):
    data = {
        "PEIXUN_LISTEN": f"0.0.0.0:{GRPC}",
        "PEIXUN_HEALTH_LISTEN": f"0.0.0.0:{HEALTH}",
        "PEIXUN_METRICS_LISTEN": f"0.0.0.0:{METRICS}",
        "PEIXUN_DB_HOST": f"{service}-db",
        "PEIXUN_DB_PORT": str(MYSQL),
        "PEIXUN_DB_NAME": f"peixun_{service}",
        "PEIXUN_DB_USER": f"peixun_{service}",
        # ES256/RS256 tokens verified against the identity provider's keys (production may set
        # PEIXUN_JWKS to the provider's URL instead); the service signs its own calls with its key.
        "PEIXUN_JWKS": "/etc/peixun/jwks/jwks.json",
        "PEIXUN_SERVICE_KEY_FILE": "/etc/peixun/service-key/key",
        "PEIXUN_TLS_CERT_FILE": "/etc/peixun/tls/tls.crt",
        "PEIXUN_TLS_KEY_FILE": "/etc/peixun/tls/tls.key",
        "PEIXUN_TLS_CA_FILE": "/etc/peixun/tls/ca.crt",
    }
    for dep in CALLEES[service]:
        data[f"PEIXUN_{dep.upper()}_TARGET"] = f"{dep}:{GRPC}"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"peixun-{service}", "labels": labels(service)},
            "data": data}


def deployment(service, grpc_service):
    container = {
        "name": service,
        "image": f"peixun/{service}:latest",
        "ports": [{"name": "grpc", "containerPort": GRPC}, {"name": "health", "containerPort": HEALTH},
                  {"name": "metrics", "containerPort": METRICS}],
        "envFrom": [{"configMapRef": {"name": f"peixun-{service}"}}],
        "env": [{"name": "PEIXUN_DB_PASSWORD",
                 "valueFrom": {"secretKeyRef": {"name": f"peixun-{service}-db", "key": "password"}}}],
        "volumeMounts": [{"name": "jwks", "mountPath": "/etc/peixun/jwks", "readOnly": True},
                         {"name": "service-key", "mountPath": "/etc/peixun/service-key", "readOnly": True},
                         {"name": "tls", "mountPath": "/etc/peixun/tls", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
        # Kubernetes' gRPC probes speak plaintext: they ask the health-only port. "liveness" is
        # SERVING while the process runs; the service's own name follows its database.
        "startupProbe": {"grpc": {"port": HEALTH, "service": "liveness"}, "periodSeconds": 2, "failureThreshold": 60},
        "livenessProbe": {"grpc": {"port": HEALTH, "service": "liveness"}, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"grpc": {"port": HEALTH, "service": grpc_service}, "periodSeconds": 5,
                           "failureThreshold": 2},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": service, "labels": labels(service)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {LABEL: service}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(service),
                             "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS)}},
                "spec": {
                    "automountServiceAccountToken": False,
                    # SIGTERM: NOT_SERVING, then in-flight calls drain for up to 10 s.
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                        "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": {LABEL: service}}}],
                    "containers": [container],
                    "volumes": [{"name": "jwks", "configMap": {"name": "peixun-jwks"}},
                                {"name": "service-key", "secret": {"secretName": f"peixun-{service}-token-key"}},
                                {"name": "tls", "secret": {"secretName": f"peixun-{service}-tls"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def service_object(service):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": service, "labels": labels(service)},
            "spec": {"selector": {LABEL: service},
                     "ports": [{"name": "grpc", "port": GRPC, "targetPort": "grpc"},
                               {"name": "metrics", "port": METRICS, "targetPort": "metrics"}]}}


def pdb(service):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": service, "labels": labels(service)},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {LABEL: service}}}}


def hpa(service):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": service, "labels": labels(service)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
                     "minReplicas": 2, "maxReplicas": 6,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                    "target": {"type": "Utilization",
                                                                               "averageUtilization": 70}}}]}}


def network_policy(service):
    ingress = [
        # Its callers among the services (ARCHITECTURE.md), on the gRPC port.
        *([{"from": [{"podSelector": {"matchLabels": {LABEL: caller}}} for caller in CALLERS[service]],
            "ports": [{"protocol": "TCP", "port": GRPC}]}] if CALLERS[service] else []),
        # Portals and other provincial systems, through pods labelled as API clients.
        {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"peixun.io/api-client": "true"}}}],
         "ports": [{"protocol": "TCP", "port": GRPC}]},
        # Prometheus, from the monitoring namespace.
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
         "ports": [{"protocol": "TCP", "port": METRICS}]},
        # Kubelet probes: the health-only port, which answers nothing but SERVING or NOT_SERVING.
        {"ports": [{"protocol": "TCP", "port": HEALTH}]},
    ]
    egress = [
        {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        # Its own database: the lab's StatefulSet or the production server.
        {"ports": [{"protocol": "TCP", "port": MYSQL}]},
        *([{"to": [{"podSelector": {"matchLabels": {LABEL: dep}}} for dep in CALLEES[service]],
            "ports": [{"protocol": "TCP", "port": GRPC}]}] if CALLEES[service] else []),
    ]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": service, "labels": labels(service)},
            "spec": {"podSelector": {"matchLabels": {LABEL: service}}, "policyTypes": ["Ingress", "Egress"],
                     "ingress": ingress, "egress": egress}}


def gateway_objects():
    name = "gateway"
    config = {
        "PEIXUN_LISTEN": f"0.0.0.0:{HTTP}",
        "PEIXUN_METRICS_LISTEN": f"0.0.0.0:{GATEWAY_METRICS}",
        **{f"PEIXUN_{s.upper()}_TARGET": f"{s}:{GRPC}" for s in SERVICES},
        # Tokens verified at the edge too, against the same keys as the services.
        "PEIXUN_JWKS": "/etc/peixun/jwks/jwks.json",
        "PEIXUN_TLS_CERT_FILE": "/etc/peixun/tls/tls.crt",
        "PEIXUN_TLS_KEY_FILE": "/etc/peixun/tls/tls.key",
        "PEIXUN_TLS_CA_FILE": "/etc/peixun/tls/ca.crt",
        "PEIXUN_GATEWAY_STATIC_DIR": "/usr/share/peixun/static",
        "PEIXUN_OPENAPI_FILE": "/usr/share/peixun/openapi.json",
        "PEIXUN_SWAGGER_UI_DIR": "/usr/share/peixun/swagger-ui",
    }
    probe = lambda period, failures: {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": period,
                                      "failureThreshold": failures}
    container = {
        "name": name, "image": "peixun/gateway:latest",
        # TLS ends at the cluster's Ingress; the gateway serves plain HTTP inside the namespace.
        "args": ["--behind_tls_proxy"],
        "ports": [{"name": "http", "containerPort": HTTP}, {"name": "metrics", "containerPort": GATEWAY_METRICS}],
        "envFrom": [{"configMapRef": {"name": "peixun-gateway"}}],
        "volumeMounts": [{"name": "jwks", "mountPath": "/etc/peixun/jwks", "readOnly": True},
                         {"name": "tls", "mountPath": "/etc/peixun/tls", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
        "startupProbe": probe(2, 30), "livenessProbe": probe(10, 3), "readinessProbe": probe(5, 2),
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": 2, "selector": {"matchLabels": {LABEL: name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(name),
                             "annotations": {"prometheus.io/scrape": "true",
                                             "prometheus.io/port": str(GATEWAY_METRICS)}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                        "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": {LABEL: name}}}],
                    "containers": [container],
                    "volumes": [{"name": "jwks", "configMap": {"name": "peixun-jwks"}},
                                {"name": "tls", "secret": {"secretName": "peixun-gateway-tls"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}],
                },
            },
        },
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels(name)},
               "spec": {"selector": {LABEL: name},
                        "ports": [{"name": "http", "port": HTTP, "targetPort": "http"},
                                  {"name": "metrics", "port": GATEWAY_METRICS, "targetPort": "metrics"}]}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": name, "labels": labels(name)},
              "spec": {"podSelector": {"matchLabels": {LABEL: name}}, "policyTypes": ["Ingress", "Egress"],
                       "ingress": [
                           # Browsers and portals through the cluster's Ingress controller.
                           {"from": [{"namespaceSelector": {"matchLabels": {
                               "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                            "ports": [{"protocol": "TCP", "port": HTTP}]},
                           {"from": [{"namespaceSelector": {},
                                      "podSelector": {"matchLabels": {"peixun.io/api-client": "true"}}}],
                            "ports": [{"protocol": "TCP", "port": HTTP}]},
                           {"from": [{"namespaceSelector": {"matchLabels": {
                               "kubernetes.io/metadata.name": "monitoring"}}}],
                            "ports": [{"protocol": "TCP", "port": GATEWAY_METRICS}]},
                           # No rule for the kubelet's /healthz probes: /healthz shares the API's
                           # port, and the common CNIs (Calico, Cilium) admit the node's own
                           # traffic to its pods without one.
                       ],
                       "egress": [
                           {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                           {"to": [{"podSelector": {"matchLabels": {LABEL: s}}} for s in SERVICES],
                            "ports": [{"protocol": "TCP", "port": GRPC}]},
                       ]}}
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "peixun-gateway", "labels": labels(name)},
             "data": config}, deployment, service, pdb(name), hpa(name), policy]


def mysql(service):
    name = f"{service}-db"
    db_labels = {LABEL: name, **PART_OF}
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": db_labels},
         "spec": {"clusterIP": "None", "selector": {LABEL: name}, "ports": [{"name": "mysql", "port": MYSQL}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "labels": db_labels},
         "spec": {
             "serviceName": name, "replicas": 1, "selector": {"matchLabels": {LABEL: name}},
             "template": {"metadata": {"labels": db_labels}, "spec": {
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "fsGroup": 999},
                 "containers": [{
                     "name": "mysql", "image": "mysql:8.0",
                     "args": ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"],
                     "ports": [{"name": "mysql", "containerPort": MYSQL}],
                     "env": [{"name": "MYSQL_DATABASE", "value": f"peixun_{service}"},
                             {"name": "MYSQL_USER", "value": f"peixun_{service}"},
                             {"name": "MYSQL_PASSWORD", "valueFrom": {"secretKeyRef": {
                                 "name": f"peixun-{service}-db", "key": "password"}}},
                             {"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {
                                 "name": f"peixun-{service}-db", "key": "root-password"}}}],
                     "readinessProbe": {"exec": {"command": ["mysqladmin", "ping", "-h", "127.0.0.1"]},
                                        "periodSeconds": 5},
                     "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                                   "limits": {"cpu": "1", "memory": "1Gi"}},
                     "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                     "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}],
                 }]}},
             "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                 "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}],
         }},
        # The lab database admits only its service.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "labels": db_labels},
         "spec": {"podSelector": {"matchLabels": {LABEL: name}}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {LABEL: service}}}],
                               "ports": [{"protocol": "TCP", "port": MYSQL}]}]}},
    ]


# One image per service: built from this repository on Debian 12 with Debian's packages, run
# on Debian 12 slim with the runtime libraries only, as an unprivileged user.
CONTAINERFILE = """# {service}: build with
#   podman build -f deploy/containers/{service}/Containerfile -t peixun/{service} .
# (or docker build with the same arguments). Made by k8s/generate.py.
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      build-essential cmake ninja-build pkg-config libgrpc++-dev libgrpc-dev protobuf-compiler \\
      protobuf-compiler-grpc libprotobuf-dev libprotoc-dev grpc-proto libabsl-dev libssl-dev libmysqlcppconn-dev \\
      prometheus-cpp-dev libcurl4-openssl-dev golang-github-gogo-googleapis-dev libcairo2-dev \\
      libxlsxwriter-dev \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY proto proto
COPY common common
COPY services services
COPY tools tools
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPEIXUN_TESTS=OFF -DPEIXUN_BENCHMARKS=OFF \\
    && cmake --build build --target {service}

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      libgrpc++1.51 libprotobuf32 libabsl20220623 libmysqlcppconn7v5 libprometheus-cpp-core1.0 \\
      libprometheus-cpp-pull1.0 libssl3 ca-certificates \\
    && rm -rf /var/lib/apt/lists/* \\
    && groupadd --gid 10001 peixun && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin peixun
COPY --from=build /src/build/services/{service}/{service} /usr/local/bin/{service}
USER 10001:10001
EXPOSE 50051 50061 9101
ENTRYPOINT ["/usr/local/bin/{service}"]
"""


# The gateway's image: the binary, its pages, the OpenAPI document made at build time and
# Swagger UI (npm swagger-ui-dist, installed into node_modules/ by tools/setup before the build).
GATEWAY_CONTAINERFILE = CONTAINERFILE.format(service="gateway").replace(
    "--target gateway", "--target gateway --target openapi").replace(
    "libprometheus-cpp-pull1.0 libssl3", "libprometheus-cpp-pull1.0 libcivetweb1 libssl3").replace(
    "COPY --from=build /src/build/services/gateway/gateway /usr/local/bin/gateway\n",
    "COPY --from=build /src/build/services/gateway/gateway /usr/local/bin/gateway\n"
    "COPY --from=build /src/build/openapi/openapi.json /usr/share/peixun/openapi.json\n"
    "COPY services/gateway/static /usr/share/peixun/static\n"
    "COPY node_modules/swagger-ui-dist /usr/share/peixun/swagger-ui\n").replace(
    "EXPOSE 50051 50061 9101", "EXPOSE 8080 9105")


# Enrollment draws certificates of hours (R-34) with cairo in 文泉驿微米黑: both at run time.
ENROLLMENT_CONTAINERFILE = CONTAINERFILE.format(service="enrollment").replace(
    "libprometheus-cpp-pull1.0 libssl3", "libprometheus-cpp-pull1.0 libssl3 libcairo2 fonts-wqy-microhei")


def write(path, docs, header):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# {header}\n# Made by k8s/generate.py; edit that, not this.\n")
        f.write(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, default_flow_style=False))


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    base = os.path.join(root, "base")
    for service, grpc_service in SERVICES.items():
        write(os.path.join(base, f"{service}.yaml"),
              [config_map(service), deployment(service, grpc_service), service_object(service), pdb(service),
               hpa(service), network_policy(service)], f"{service}: configuration, pods, service and policies")
    write(os.path.join(base, "gateway.yaml"), gateway_objects(),
          "gateway: JSON over HTTP for portals, in front of the four services")
    # The descriptor set of the contracts with their google.api.http annotations: what the gateway
    # routes by, for a province that transcodes with Envoy's grpc_json_transcoder instead.
    proto = os.path.join(root, "..", "proto")
    subprocess.run(["protoc", f"-I{proto}", f"-I{GOOGLEAPIS}", "--include_imports",
                    f"--descriptor_set_out={os.path.join(base, 'peixun-descriptors.pb')}", *CONTRACTS],
                   check=True, cwd=proto)
    write(os.path.join(base, "default-deny.yaml"),
          [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "labels": PART_OF},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}],
          "nothing reaches or leaves a pod of the namespace unless a policy allows it")
    write(os.path.join(base, "kustomization.yaml"),
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "peixun",
            "resources": ["namespace.yaml", "default-deny.yaml"] + [f"{s}.yaml" for s in SERVICES] + ["gateway.yaml"],
            "configMapGenerator": [{"name": "peixun-descriptors", "files": ["peixun.pb=peixun-descriptors.pb"]}],
            "generatorOptions": {"disableNameSuffixHash": True}}],
          "the four services and the gateway, their configuration and policies")
    write(os.path.join(base, "namespace.yaml"),
          [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "peixun", "labels": PART_OF}}],
          "the namespace")

    lab = os.path.join(root, "overlays", "lab")
    write(os.path.join(lab, "mysql.yaml"), [doc for s in SERVICES for doc in mysql(s)],
          "lab: one MySQL 8 StatefulSet per service")
    write(os.path.join(lab, "kustomization.yaml"), [{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "peixun",
        "bases": ["../../base"], "resources": ["mysql.yaml"],
        # Lab secrets from files beside this one (lab-only values; production supplies its own).
        "secretGenerator": [
            *[{"name": f"peixun-{s}-db", "envs": [f"secrets/{s}-db.env"]} for s in SERVICES],
            *[{"name": f"peixun-{s}-token-key", "files": [f"key=secrets/{s}.key"]} for s in SERVICES],
        ],
        "configMapGenerator": [{"name": "peixun-jwks", "files": ["jwks.json=secrets/jwks.json"]}],
        "generatorOptions": {"disableNameSuffixHash": True},
        "images": [{"name": f"peixun/{s}", "newTag": "lab"} for s in [*SERVICES, "gateway"]],
    }], "lab: the base with a MySQL 8 per service and generated lab secrets; TLS secrets peixun-<service>-tls come "
        "from the lab's certificate issuer")
    for s in SERVICES:
        path = os.path.join(lab, "secrets", f"{s}-db.env")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"password=lab-{s}-password\nroot-password=lab-{s}-root\n")
    stale = os.path.join(lab, "secrets", "token.key")  # the shared HS256 key of earlier versions
    if os.path.exists(stale):
        os.remove(stale)
    # Lab-only ES256 keys, one per service (made once with openssl, then kept), and the JWKS of
    # their public keys. In production the identity provider publishes the JWKS and each
    # service's key is the operators' Secret.
    jwks = []
    for s in SERVICES:
        path = os.path.join(lab, "secrets", f"{s}.key")
        kid = f"services/{s}-lab"
        if not os.path.exists(path):
            pem = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                                 check=True, capture_output=True).stdout.decode()
            with open(path, "w") as f:
                f.write(f"kid: {kid}\n{pem}")
        with open(path) as f:
            pem = f.read().split("\n", 1)[1]
        der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem.encode(),
                             check=True, capture_output=True).stdout
        point = der[-64:]  # the uncompressed P-256 point's x || y ends the SubjectPublicKeyInfo
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        jwks.append({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                     "x": b64(point[:32]), "y": b64(point[32:])})
    with open(os.path.join(lab, "secrets", "jwks.json"), "w") as f:
        json.dump({"keys": jwks}, f, indent=2)
        f.write("\n")

    production = os.path.join(root, "overlays", "production")
    write(os.path.join(production, "database-from-secret.yaml"), [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": s},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{
            "name": s,
            "env": [{"name": "PEIXUN_DB_HOST", "valueFrom": {"secretKeyRef": {"name": f"peixun-{s}-db", "key": "host"}}},
                    {"name": "PEIXUN_DB_USER", "valueFrom": {"secretKeyRef": {"name": f"peixun-{s}-db", "key": "user"}}},
                    {"name": "PEIXUN_DB_PASSWORD",
                     "valueFrom": {"secretKeyRef": {"name": f"peixun-{s}-db", "key": "password"}}}],
            "resources": {"requests": {"cpu": "500m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        }]}}}} for s in SERVICES] + [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gateway"}, "spec": {"replicas": 3}}],
          "production: three replicas; each service's database host, user and password from its Secret")
    write(os.path.join(production, "kustomization.yaml"), [{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "peixun",
        "bases": ["../../base"],
        # The Secrets (peixun-<service>-db with host, user, password; peixun-<service>-token-key;
        # peixun-<service>-tls) and the ConfigMap peixun-jwks (the identity provider's keys) are
        # created by the operators, never committed.
        "patchesStrategicMerge": ["database-from-secret.yaml"],
        "images": [{"name": f"peixun/{s}", "newName": f"registry.henan.edu.cn/peixun/{s}", "newTag": "0.6.0"}
                   for s in [*SERVICES, "gateway"]],
    }], "production: external MySQL 8 servers named in Secrets, three replicas each")
    containers = os.path.join(root, "..", "deploy", "containers")
    for s in SERVICES:
        path = os.path.join(containers, s, "Containerfile")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(ENROLLMENT_CONTAINERFILE if s == "enrollment" else CONTAINERFILE.format(service=s))
    gateway_file = os.path.join(containers, "gateway", "Containerfile")
    os.makedirs(os.path.dirname(gateway_file), exist_ok=True)
    with open(gateway_file, "w") as f:
        f.write(GATEWAY_CONTAINERFILE)
    print("k8s/ and deploy/containers/ written")


if __name__ == "__main__":
    main()
