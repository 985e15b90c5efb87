#!/usr/bin/python3
"""Drives a running catalog server from Debian's python3-grpcio, as an integrator would:
health check, server reflection, and a List call with a signed token."""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(key: str, role: str, region: str = "") -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {"sub": "python-test", "role": role, "iat": now, "exp": now + 3600}
    if region:
        claims["region"] = region
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


def generate_stubs(source: str, out: str) -> None:
    from grpc_tools import protoc
    import grpc_tools
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    googleapis = "/usr/share/gocode/src/github.com/gogo/googleapis"  # google.api.http annotations
    includes = [os.path.join(source, "proto"), "/usr/share/grpc-proto", googleapis, "/usr/include", well_known]
    # health and reflection are compiled under top-level names (health_pb2, reflection_pb2):
    # the installed grpc package would shadow a generated grpc/health/v1 module path.
    import shutil
    ext = os.path.join(out, "_ext")
    os.makedirs(ext)
    shutil.copy("/usr/share/grpc-proto/grpc/health/v1/health.proto", ext)
    shutil.copy("/usr/share/grpc-proto/grpc/reflection/v1alpha/reflection.proto", ext)
    files = ["google/api/http.proto", "google/api/annotations.proto",
             "peixun/common/v1/common.proto", "peixun/catalog/v1/catalog.proto",
             "health.proto", "reflection.proto"]
    args = ["protoc", f"-I{ext}"] + [f"-I{i}" for i in includes if os.path.isdir(i)] + \
        [f"--python_out={out}", f"--grpc_python_out={out}"] + files
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed")


class CatalogFromPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = os.environ
        cls.key = "python-test-key-0123456789abcdef0123456789"
        cls.db = f"peixun_pytest_{os.getpid()}"
        cls.mysql = ["mariadb", "--no-defaults", "-h", env.get("PEIXUN_TEST_DB_HOST", "127.0.0.1"),
                     "-P", env.get("PEIXUN_TEST_DB_PORT", "3306"),
                     "-u", env.get("PEIXUN_TEST_DB_USER", "peixun_admin"),
                     f"-p{env.get('PEIXUN_TEST_DB_PASSWORD', '')}"]
        subprocess.run(cls.mysql + ["-e", f"CREATE DATABASE {cls.db}"], check=True)
        cls.addClassCleanup(subprocess.run, cls.mysql + ["-e", f"DROP DATABASE IF EXISTS {cls.db}"])
        cls.stubs = tempfile.mkdtemp(prefix="peixun-pystubs-")
        generate_stubs(ARGS.source, cls.stubs)
        sys.path.insert(0, cls.stubs)
        server_env = dict(env, PEIXUN_TOKEN_KEY=cls.key,
                          PEIXUN_DB_HOST=env.get("PEIXUN_TEST_DB_HOST", "127.0.0.1"),
                          PEIXUN_DB_PORT=env.get("PEIXUN_TEST_DB_PORT", "3306"),
                          PEIXUN_DB_USER=env.get("PEIXUN_TEST_DB_USER", "peixun_admin"),
                          PEIXUN_DB_PASSWORD=env.get("PEIXUN_TEST_DB_PASSWORD", ""),
                          PEIXUN_DB_NAME=cls.db)
        cls.log = tempfile.TemporaryFile()
        cls.server = subprocess.Popen([ARGS.catalog, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"],
                                      env=server_env, stderr=subprocess.PIPE, text=True)
        cls.port = None
        cls.metrics_port = None
        deadline = time.time() + 30
        while time.time() < deadline and cls.port is None:
            line = cls.server.stderr.readline()
            match = re.search(r"gRPC on port (\d+), /metrics on port (\d+)", line)
            if match:
                cls.port, cls.metrics_port = int(match.group(1)), int(match.group(2))
        assert cls.port, "catalog did not report its port"
        # Keep draining stderr so the server never blocks on a full pipe.
        import threading
        cls.log_lines = [line]
        threading.Thread(target=lambda: [cls.log_lines.append(l) for l in cls.server.stderr], daemon=True).start()
        import grpc
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.port}")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        code = cls.server.wait(timeout=30)
        assert code == 0, f"catalog exited with {code} after SIGTERM"

    def test_health_becomes_serving(self):
        import health_pb2, health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel)
        status = None
        for _ in range(100):
            status = stub.Check(health_pb2.HealthCheckRequest(service="peixun.catalog.v1.CatalogService")).status
            if status == health_pb2.HealthCheckResponse.SERVING:
                break
            time.sleep(0.1)
        self.assertEqual(status, health_pb2.HealthCheckResponse.SERVING)

    def test_reflection_lists_the_catalog_service(self):
        import reflection_pb2, reflection_pb2_grpc
        stub = reflection_pb2_grpc.ServerReflectionStub(self.channel)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = [s.name for r in responses for s in r.list_services_response.service]
        self.assertIn("peixun.catalog.v1.CatalogService", names)
        self.assertIn("grpc.health.v1.Health", names)

    def test_list_regions_after_import(self):
        import grpc
        from peixun.catalog.v1 import catalog_pb2, catalog_pb2_grpc
        self.test_health_becomes_serving()
        stub = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        admin = [("authorization", "Bearer " + sign_token(self.key, "province_admin"))]
        csv = "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n410225,兰考县,4102,county\n"
        imported = stub.ImportRegions(catalog_pb2.ImportRegionsRequest(csv=csv, request_id="py-1"), metadata=admin)
        self.assertEqual(imported.created, 3)
        viewer = [("authorization", "Bearer " + sign_token(self.key, "viewer"))]
        listed = stub.ListRegions(catalog_pb2.ListRegionsRequest(filter='level = "COUNTY"'), metadata=viewer)
        self.assertEqual([r.display_name for r in listed.regions], ["兰考县"])
        self.assertEqual(listed.next_page_token, "")
        with self.assertRaises(grpc.RpcError) as error:
            stub.ListRegions(catalog_pb2.ListRegionsRequest(page_size=-1), metadata=viewer)
        self.assertEqual(error.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_size", error.exception.details())
        with self.assertRaises(grpc.RpcError) as error:
            stub.ListRegions(catalog_pb2.ListRegionsRequest())
        self.assertEqual(error.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_metrics_endpoint_serves_grpc_counters(self):
        import urllib.request
        self.test_health_becomes_serving()
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        self.assertIn("grpc_server_handled_total", text)
        self.assertIn("peixun_db_pool_max_connections 16", text)
        # Metric names and types pass Prometheus's own linter.
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        self.assertEqual(lint.stdout.strip(), "")

    def test_logs_hold_no_secrets(self):
        import grpc
        from peixun.catalog.v1 import catalog_pb2, catalog_pb2_grpc
        self.test_health_becomes_serving()
        stub = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        token = sign_token(self.key, "viewer")
        with self.assertRaises(grpc.RpcError):
            stub.GetRegion(catalog_pb2.GetRegionRequest(name="regions/99"), metadata=[("authorization", "Bearer " + token)])
        with self.assertRaises(grpc.RpcError):
            stub.GetRegion(catalog_pb2.GetRegionRequest(name="regions/41"), metadata=[("authorization", "Bearer " + token + "x")])
        time.sleep(0.2)
        log = "".join(self.log_lines)
        self.assertIn("SERVING", log)
        for secret in (self.key, token, os.environ.get("PEIXUN_TEST_DB_PASSWORD") or "no-password-set"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--source", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
