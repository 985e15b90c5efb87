#!/usr/bin/python3
"""Renders k8s/overlays/lab and k8s/overlays/production with `kubectl kustomize` and checks the
objects against the operations rules (issue 6): per service a Deployment with at least 2
replicas, native gRPC liveness and readiness probes, requests and limits, a non-root read-only
security context, Secret references for the database and the token key; a Service,
PodDisruptionBudget, HorizontalPodAutoscaler and ConfigMap; NetworkPolicies admitting only the
callers of ARCHITECTURE.md (and the gateway); the gateway with HTTP probes, reaching only the
four services, and the contracts' descriptor set for Envoy; lab with a MySQL 8 StatefulSet per
service, production with none.
Run by ctest: k8s_test.py --source SOURCE_DIR"""
import argparse
import json
import os
import re
import subprocess
import sys
import unittest

import yaml

ARGS = None
SERVICES = {
    "catalog": "peixun.catalog.v1.CatalogService",
    "enrollment": "peixun.enrollment.v1.EnrollmentService",
    "evaluation": "peixun.evaluation.v1.EvaluationService",
    "funding": "peixun.funding.v1.FundingService",
}
# ARCHITECTURE.md's dependency column, as the callers each service must admit (and no others).
CALLERS = {"catalog": {"enrollment", "evaluation", "funding"}, "enrollment": {"catalog", "evaluation", "funding"},
           "evaluation": {"funding"}, "funding": {"evaluation", "catalog"}}
# The gateway calls every service with its callers' tokens.
CALLERS = {service: callers | {"gateway"} for service, callers in CALLERS.items()}
LABEL = "app.kubernetes.io/name"


def render(overlay):
    out = subprocess.run(["kubectl", "kustomize", os.path.join(ARGS.source, "k8s", "overlays", overlay)],
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.overlays = {name: render(name) for name in ("lab", "production")}

    def check_overlay(self, name, replicas):
        objects = self.overlays[name]
        for o in objects:
            if o["kind"] != "Namespace":
                self.assertEqual(o["metadata"].get("namespace"), "peixun", f"{o['kind']}/{o['metadata']['name']}")
        deployments = by_kind(objects, "Deployment")
        self.assertEqual(set(deployments), set(SERVICES) | {"gateway"})
        self.check_gateway(objects, replicas)
        config_maps, services = by_kind(objects, "ConfigMap"), by_kind(objects, "Service")
        pdbs, hpas = by_kind(objects, "PodDisruptionBudget"), by_kind(objects, "HorizontalPodAutoscaler")
        for service, grpc_service in SERVICES.items():
            with self.subTest(overlay=name, service=service):
                d = deployments[service]
                self.assertGreaterEqual(d["spec"]["replicas"], 2)
                self.assertEqual(d["spec"]["replicas"], replicas)
                pod = d["spec"]["template"]["spec"]
                self.assertTrue(pod["securityContext"]["runAsNonRoot"])
                self.assertGreater(pod["securityContext"]["runAsUser"], 0)
                (c,) = pod["containers"]
                self.assertIn("grpc", c["livenessProbe"], "native gRPC liveness probe")
                self.assertIn("grpc", c["readinessProbe"], "native gRPC readiness probe")
                self.assertEqual(c["readinessProbe"]["grpc"]["service"], grpc_service)
                for kind in ("requests", "limits"):
                    self.assertEqual(set(c["resources"][kind]), {"cpu", "memory"}, kind)
                sc = c["securityContext"]
                self.assertTrue(sc["readOnlyRootFilesystem"])
                self.assertFalse(sc["allowPrivilegeEscalation"])
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                env = {e["name"]: e for e in c.get("env", [])}
                self.assertEqual(env["PEIXUN_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"], f"peixun-{service}-db")
                volumes = {v["name"]: v for v in pod["volumes"]}
                self.assertEqual(volumes["service-key"]["secret"]["secretName"], f"peixun-{service}-token-key")
                self.assertEqual(volumes["jwks"]["configMap"]["name"], "peixun-jwks")
                self.assertNotIn("PEIXUN_TOKEN_KEY_FILE", config_maps[c["envFrom"][0]["configMapRef"]["name"]]["data"],
                                 "no shared HS256 key in the cluster")
                self.assertEqual(volumes["tls"]["secret"]["secretName"], f"peixun-{service}-tls")
                config = c["envFrom"][0]["configMapRef"]["name"]
                self.assertIn(config, config_maps)
                self.assertTrue(config_maps[config]["data"]["PEIXUN_TLS_CA_FILE"], "mutual TLS in the cluster")
                self.assertEqual(services[service]["spec"]["selector"], {LABEL: service})
                self.assertGreaterEqual(pdbs[service]["spec"]["minAvailable"], 1)
                self.assertEqual(hpas[service]["spec"]["scaleTargetRef"]["name"], service)
                self.assertGreaterEqual(hpas[service]["spec"]["minReplicas"], 2)
        self.check_policies(objects)
        return objects

    def check_policies(self, objects):
        policies = by_kind(objects, "NetworkPolicy")
        deny = policies["default-deny"]["spec"]
        self.assertEqual(deny["podSelector"], {})
        self.assertEqual(sorted(deny["policyTypes"]), ["Egress", "Ingress"])
        for service in SERVICES:
            with self.subTest(policy=service):
                rules = policies[service]["spec"]["ingress"]
                admitted = set()
                for rule in rules:
                    for peer in rule.get("from", []):
                        name = peer.get("podSelector", {}).get("matchLabels", {}).get(LABEL)
                        if name:
                            admitted.add(name)
                self.assertEqual(admitted, CALLERS[service], "only its callers among the services")
                egress_to = {peer["podSelector"]["matchLabels"][LABEL]
                             for rule in policies[service]["spec"]["egress"] for peer in rule.get("to", [])
                             if LABEL in peer.get("podSelector", {}).get("matchLabels", {})}
                self.assertEqual(egress_to, {callee for callee, callers in CALLERS.items() if service in callers})
        gateway_egress = {peer["podSelector"]["matchLabels"][LABEL]
                          for rule in policies["gateway"]["spec"]["egress"] for peer in rule.get("to", [])
                          if LABEL in peer.get("podSelector", {}).get("matchLabels", {})}
        self.assertEqual(gateway_egress, set(SERVICES), "the gateway reaches the four services and nothing else")
        gateway_from = [peer for rule in policies["gateway"]["spec"]["ingress"] for peer in rule.get("from", [])]
        self.assertTrue(gateway_from and all(peer for peer in gateway_from), "no rule admits everyone")
        for rule in policies["gateway"]["spec"]["ingress"]:
            self.assertTrue(rule.get("from"), f"every ingress rule of the gateway names its sources: {rule}")

    def check_gateway(self, objects, replicas):
        d = by_kind(objects, "Deployment")["gateway"]
        self.assertEqual(d["spec"]["replicas"], replicas)
        pod = d["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        (c,) = pod["containers"]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            self.assertEqual(c[probe]["httpGet"]["path"], "/healthz", probe)
        self.assertIn("--behind_tls_proxy", c["args"])
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        for kind in ("requests", "limits"):
            self.assertEqual(set(c["resources"][kind]), {"cpu", "memory"}, kind)
        config = by_kind(objects, "ConfigMap")[c["envFrom"][0]["configMapRef"]["name"]]["data"]
        for service in SERVICES:
            self.assertEqual(config[f"PEIXUN_{service.upper()}_TARGET"], f"{service}:50051")
        self.assertTrue(config["PEIXUN_JWKS"], "tokens verified at the edge")
        self.assertTrue(config["PEIXUN_TLS_CA_FILE"], "mutual TLS to the services")
        self.assertNotIn("PEIXUN_TOKEN_KEY_FILE", config)
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(volumes["tls"]["secret"]["secretName"], "peixun-gateway-tls")
        self.assertNotIn("service-key", volumes, "the gateway holds no signing key")
        service = by_kind(objects, "Service")["gateway"]
        self.assertEqual({p["port"] for p in service["spec"]["ports"]}, {8080, 9105})
        descriptors = by_kind(objects, "ConfigMap")["peixun-descriptors"]["binaryData"]["peixun.pb"]
        from google.protobuf import descriptor_pb2
        import base64
        files = descriptor_pb2.FileDescriptorSet.FromString(base64.b64decode(descriptors)).file
        names = {f.name for f in files}
        self.assertTrue({"google/api/annotations.proto", "peixun/catalog/v1/catalog.proto"} <= names, names)
        catalog = next(f for f in files if f.name == "peixun/catalog/v1/catalog.proto")
        self.assertTrue(all(m.options.ByteSize() > 0 for m in catalog.service[0].method),
                        "every method keeps its google.api.http option for Envoy")
        # The set is made by k8s/generate.py from the contracts: it holds every RPC they have
        # now (a contract changed without running the generator would leave Envoy behind).
        for f in files:
            if not f.name.startswith("peixun/"):
                continue
            with open(os.path.join(ARGS.source, "proto", f.name), encoding="utf-8") as proto:
                rpcs = set(re.findall(r"^\s*rpc (\w+)\(", proto.read(), re.MULTILINE))
            in_set = {m.name for service in f.service for m in service.method}
            self.assertEqual(in_set, rpcs, f"{f.name}: run k8s/generate.py")

    def test_lab_has_a_mysql_8_per_service(self):
        objects = self.check_overlay("lab", 2)
        statefulsets = by_kind(objects, "StatefulSet")
        self.assertEqual(set(statefulsets), {f"{s}-db" for s in SERVICES})
        for name, s in statefulsets.items():
            self.assertEqual(s["spec"]["replicas"], 1)
            self.assertTrue(s["spec"]["template"]["spec"]["containers"][0]["image"].startswith("mysql:8"))
        secrets = by_kind(objects, "Secret")
        jwks = json.loads(by_kind(objects, "ConfigMap")["peixun-jwks"]["data"]["jwks.json"])
        self.assertEqual({k["kid"] for k in jwks["keys"]}, {f"services/{s}-lab" for s in SERVICES})
        for service in SERVICES:
            self.assertIn(f"peixun-{service}-token-key", secrets)
            self.assertIn(f"peixun-{service}-db", secrets)
            self.assertEqual(by_kind(objects, "ConfigMap")[f"peixun-{service}"]["data"]["PEIXUN_DB_HOST"],
                             f"{service}-db")
        print(f"  lab: {len(objects)} objects, 4 services, 4 MySQL StatefulSets")

    def test_production_uses_external_databases_from_secrets(self):
        objects = self.check_overlay("production", 3)
        self.assertEqual(by_kind(objects, "StatefulSet"), {})
        self.assertEqual(by_kind(objects, "Secret"), {}, "production secrets are never committed")
        for service, d in by_kind(objects, "Deployment").items():
            self.assertTrue(d["spec"]["template"]["spec"]["containers"][0]["image"].startswith("registry."))
            if service == "gateway":
                continue  # no database
            env = {e["name"]: e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
            for variable, key in (("PEIXUN_DB_HOST", "host"), ("PEIXUN_DB_USER", "user"),
                                  ("PEIXUN_DB_PASSWORD", "password")):
                ref = env[variable]["valueFrom"]["secretKeyRef"]
                self.assertEqual((ref["name"], ref["key"]), (f"peixun-{service}-db", key))
            self.assertTrue(d["spec"]["template"]["spec"]["containers"][0]["image"].startswith("registry."))
        print(f"  production: {len(objects)} objects, databases from Secrets")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
