#!/usr/bin/python3
"""The monitoring stack against the running suite (issue 6): the four service binaries and the gateway on
loopback, each on a fresh database; Debian's Prometheus with deploy/prometheus's rules scraping
them every second; some real traffic from peixunctl. Checks that every service is `up`, that
domain counters move, that the rules load healthy, and that every dashboard query and recording
rule evaluates. Also checks the dashboards' structure. Prints what it checked.
Run by ctest: monitoring_test.py --bin BUILD_DIR --source SOURCE_DIR"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

ARGS = None
SERVICES = ["catalog", "enrollment", "evaluation", "funding"]
KEY = "monitoring-test-key-0123456789abcdef0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class MonitoringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = os.environ
        cls.work = tempfile.mkdtemp(prefix="peixun-monitoring-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        mysql = ["mariadb", "--no-defaults", "-h", env.get("PEIXUN_TEST_DB_HOST", "127.0.0.1"),
                 "-P", env.get("PEIXUN_TEST_DB_PORT", "3306"), "-u", env.get("PEIXUN_TEST_DB_USER", "peixun_admin"),
                 f"-p{env.get('PEIXUN_TEST_DB_PASSWORD', '')}"]
        cls.processes = []
        cls.metrics_ports = {}
        grpc_ports = {}
        # Catalog asks funding about project counties and starts first: funding's port is
        # chosen before.
        funding_port = free_port()
        for service in SERVICES:
            db = f"monitoring_{service}_{os.getpid()}"
            subprocess.run(mysql + ["-e", f"CREATE DATABASE {db}"], check=True)
            cls.addClassCleanup(subprocess.run, mysql + ["-e", f"DROP DATABASE IF EXISTS {db}"])
            server_env = dict(env, PEIXUN_TOKEN_KEY=KEY, PEIXUN_DB_HOST=env.get("PEIXUN_TEST_DB_HOST", "127.0.0.1"),
                              PEIXUN_DB_PORT=env.get("PEIXUN_TEST_DB_PORT", "3306"),
                              PEIXUN_DB_USER=env.get("PEIXUN_TEST_DB_USER", "peixun_admin"),
                              PEIXUN_DB_PASSWORD=env.get("PEIXUN_TEST_DB_PASSWORD", ""), PEIXUN_DB_NAME=db)
            flags = {"catalog": [f"--funding_target=127.0.0.1:{funding_port}"],
                     "enrollment": [f"--catalog_target=127.0.0.1:{grpc_ports.get('catalog', 1)}"],
                     "evaluation": [f"--enrollment_target=127.0.0.1:{grpc_ports.get('enrollment', 1)}",
                                    "--funding_target=127.0.0.1:1",
                                    f"--catalog_target=127.0.0.1:{grpc_ports.get('catalog', 1)}"],
                     "funding": ["--evaluation_target=127.0.0.1:1",
                                 f"--catalog_target=127.0.0.1:{grpc_ports.get('catalog', 1)}"]}.get(service, [])
            log = open(os.path.join(cls.work, f"{service}.log"), "w+")
            listen = f"127.0.0.1:{funding_port if service == 'funding' else 0}"
            process = subprocess.Popen([os.path.join(ARGS.bin, "services", service, service), f"--listen={listen}",
                                        "--metrics_listen=127.0.0.1:0"] + flags, env=server_env, stdout=log,
                                       stderr=subprocess.STDOUT)
            cls.processes.append(process)
            cls.addClassCleanup(process.wait, 15)
            cls.addClassCleanup(process.terminate)

            cls.addClassCleanup(log.close)

            def serving(path=log.name):
                with open(path) as f:
                    text = f.read()
                match = re.search(r"gRPC on port (\d+), /metrics on port (\d+)", text)
                return match if match and " SERVING" in text else None
            match = wait_for(f"{service} to serve", serving)
            grpc_ports[service] = int(match.group(1))
            cls.metrics_ports[service] = int(match.group(2))
        cls.grpc_ports = grpc_ports

        # The gateway in front of them (no database; it verifies tokens as the services do).
        gateway_log = open(os.path.join(cls.work, "gateway.log"), "w+")
        cls.addClassCleanup(gateway_log.close)
        gateway = subprocess.Popen(
            [os.path.join(ARGS.bin, "services", "gateway", "gateway"), "--listen=127.0.0.1:0",
             "--metrics_listen=127.0.0.1:0"] +
            [f"--{service}_target=127.0.0.1:{grpc_ports[service]}" for service in SERVICES],
            env=dict(env, PEIXUN_TOKEN_KEY=KEY), stdout=gateway_log, stderr=subprocess.STDOUT)
        cls.processes.append(gateway)
        cls.addClassCleanup(gateway.wait, 15)
        cls.addClassCleanup(gateway.terminate)

        def gateway_serving():
            with open(gateway_log.name) as f:
                return re.search(r"SERVING http on port (\d+), \d+ routes; metrics on port (\d+)", f.read())
        match = wait_for("the gateway to serve", gateway_serving)
        cls.gateway_port = int(match.group(1))
        cls.metrics_ports["gateway"] = int(match.group(2))

        # Prometheus with the shipped rules, scraping the four services every second.
        with open(os.path.join(ARGS.source, "deploy/prometheus/prometheus.yml")) as f:
            config = f.read()
        for index, service in enumerate(SERVICES + ["gateway"]):
            config = config.replace(f"127.0.0.1:{9101 + index}", f"127.0.0.1:{cls.metrics_ports[service]}")
        config = config.replace("scrape_interval: 15s", "scrape_interval: 1s").replace(
            "evaluation_interval: 15s", "evaluation_interval: 1s")
        for rules in ("recording.yml", "alerts.yml"):
            config = config.replace(f"rules/{rules}", os.path.join(ARGS.source, "deploy/prometheus/rules", rules))
        config_path = os.path.join(cls.work, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write(config)
        cls.prometheus_port = free_port()
        prometheus_log = open(os.path.join(cls.work, "prometheus.log"), "w")
        cls.addClassCleanup(prometheus_log.close)
        cls.prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={cls.work}/tsdb",
             f"--web.listen-address=127.0.0.1:{cls.prometheus_port}"], stdout=prometheus_log,
            stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.prometheus.wait, 15)
        cls.addClassCleanup(cls.prometheus.terminate)
        wait_for("Prometheus to answer", lambda: cls.query_or_none("vector(1)") is not None)

        # Real traffic: the 2022 catalog into catalog (enrollment follows it), teachers into enrollment.
        ctl = os.path.join(ARGS.bin, "tools", "peixunctl")
        ctl_env = dict(env, PEIXUN_TOKEN_KEY=KEY)
        subprocess.run([ctl, f"--target=127.0.0.1:{grpc_ports['funding']}", "apply", "--quiet",
                        os.path.join(ARGS.source, "deploy/demo/project-counties.jsonl")], env=ctl_env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([ctl, f"--target=127.0.0.1:{grpc_ports['catalog']}", "apply", "--quiet",
                        os.path.join(ARGS.source, "deploy/demo/catalog-2022.jsonl")], env=ctl_env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([ctl, f"--target=127.0.0.1:{grpc_ports['enrollment']}", "import-teachers",
                        os.path.join(ARGS.source, "deploy/demo/teachers-2022.csv")], env=ctl_env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([ctl, f"--target=127.0.0.1:{grpc_ports['evaluation']}", "call", "evaluation",
                        "GetRubricVersion", '{"name": "rubrics/project-county/versions/latest"}'], env=ctl_env,
                       check=True, stdout=subprocess.DEVNULL)

        # And through the gateway: an unauthenticated call is refused there, and counted.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{cls.gateway_port}/v1/regions", timeout=5)
        except urllib.error.HTTPError as error:
            assert error.code == 401, error.code

    @classmethod
    def query_or_none(cls, expr):
        url = f"http://127.0.0.1:{cls.prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:  # a bad query: 400 with a JSON body
            with error:
                return json.load(error)
        except OSError:
            return None

    def query(self, expr):
        answer = self.query_or_none(expr)
        self.assertIsNotNone(answer, f"Prometheus did not answer {expr}")
        self.assertEqual(answer["status"], "success", f"{expr}: {answer.get('error')}")
        return answer["data"]["result"]

    def test_every_service_is_up_and_domain_counters_move(self):
        def all_up():
            result = self.query('up{job="peixun"}')
            up = {r["metric"]["service"]: r["value"][1] for r in result}
            return up if len(up) == 5 and set(up.values()) == {"1"} else None
        up = wait_for("all four services and the gateway up in Prometheus", all_up)
        print(f"  up: {sorted(up)}")
        moving = {
            "catalog changes": 'sum(peixun_catalog_changes_total{service="catalog"})',
            "teacher import rows": 'sum(peixun_enrollment_imported_rows_total{service="enrollment"})',
            "enrollment's applied catalog events": 'max(peixun_enrollment_catalog_sequence{service="enrollment"})',
            "catalog's newest event": 'max(peixun_outbox_last_sequence{service="catalog"})',
            "catalog calls": 'sum(grpc_server_handled_total{service="catalog", grpc_code="OK"})',
            "gateway requests": 'sum(http_requests_total{service="gateway"})',
        }
        for what, expr in moving.items():
            value = wait_for(what, lambda e=expr: (r := self.query(e)) and float(r[0]["value"][1]) > 0 and r)
            print(f"  {what}: {value[0]['value'][1]}")
        # Once scraped after the traffic: the file's 2,343 catalog changes and 3,120 imported rows.
        def value(expr):
            result = self.query(expr)
            return float(result[0]["value"][1]) if result else 0
        wait_for("the catalog's 2,343 changes",
                 lambda: value('sum(peixun_catalog_changes_total{service="catalog"})') >= 2343, 30)
        wait_for("3,120 imported rows",
                 lambda: value('sum(peixun_enrollment_imported_rows_total{service="enrollment"})') == 3120, 30)

    def test_rules_load_healthy_and_every_dashboard_query_evaluates(self):
        url = f"http://127.0.0.1:{self.prometheus_port}/api/v1/rules"
        def rule_groups():
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)["data"]["groups"]
        groups = wait_for("rule groups", rule_groups)
        by_name = {g["name"]: g for g in groups}
        self.assertEqual(set(by_name), {"peixun-red", "peixun-alerts"})
        for group in groups:
            for rule in group["rules"]:
                self.assertEqual(rule["health"], "ok", f"{rule['name']}: {rule.get('lastError')}")
        alerts = [r["name"] for r in by_name["peixun-alerts"]["rules"]]
        self.assertEqual(sorted(alerts), sorted(["PeixunServiceDown", "PeixunErrorRatioHigh", "PeixunLatencyP99High",
                                                 "PeixunDbPoolExhausted", "PeixunEnrollmentCatalogLagging",
                                                 "PeixunOutboxBacklogGrowing"]))
        # A healthy suite fires nothing.
        wait_for("rules evaluated", lambda: self.query("service:grpc_server_handled:rate5m"), 30)
        self.assertEqual(self.query('ALERTS{alertstate="firing"}'), [])
        evaluated = 0
        for path in sorted(os.listdir(os.path.join(ARGS.source, "deploy/grafana"))):
            if not path.endswith(".json"):
                continue
            with open(os.path.join(ARGS.source, "deploy/grafana", path)) as f:
                board = json.load(f)
            for p in board["panels"]:
                for target in p["targets"]:
                    self.query(target["expr"])
                    evaluated += 1
        print(f"  {sum(len(g['rules']) for g in groups)} rules healthy, {evaluated} dashboard queries evaluate")

    def test_dashboards_are_well_formed(self):
        uids = set()
        boards = [p for p in sorted(os.listdir(os.path.join(ARGS.source, "deploy/grafana"))) if p.endswith(".json")]
        self.assertEqual(boards, ["peixun-catalog.json", "peixun-enrollment.json", "peixun-evaluation.json",
                                  "peixun-funding.json", "peixun-overview.json"])
        for path in boards:
            with open(os.path.join(ARGS.source, "deploy/grafana", path)) as f:
                board = json.load(f)
            self.assertNotIn(board["uid"], uids)
            uids.add(board["uid"])
            self.assertGreater(len(board["panels"]), 0, path)
            ids = [p["id"] for p in board["panels"]]
            self.assertEqual(len(ids), len(set(ids)), f"{path}: panel ids repeat")
            for p in board["panels"]:
                self.assertTrue(p["title"], path)
                self.assertTrue(p["targets"], f"{path}: {p['title']} has no query")
                g = p["gridPos"]
                self.assertLessEqual(g["x"] + g["w"], 24, f"{path}: {p['title']} is wider than the grid")
            if path != "peixun-overview.json":
                service = path[len("peixun-"):-len(".json")]
                exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
                self.assertIn(f'service="{service}"', exprs)
                self.assertIn("grpc_server_errors", exprs, f"{path} lacks the RED view")
                self.assertIn("peixun_db_pool_in_use_connections", exprs, f"{path} lacks the pool")
        print(f"  {len(boards)} dashboards well formed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the build directory")
    parser.add_argument("--source", required=True, help="the source directory")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
