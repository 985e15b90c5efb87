#!/usr/bin/python3
"""The OpenAPI document the build makes from the contracts (tools/openapi): it lints clean with
npm @redocly/cli (redocly.yaml), lists every RPC of the four contracts, and describes what the
gateway serves: proto comments as descriptions (Chinese terms kept), path parameters with their
patterns, enums by name, 64-bit integers as strings, google.rpc.Status as the error body.
Run by ctest: openapi_test.py --openapi BUILD/openapi/openapi.json --source SOURCE_DIR"""
import argparse
import json
import os
import re
import subprocess
import sys
import unittest

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--openapi", required=True)
PARSER.add_argument("--source", required=True)
ARGS, REST = PARSER.parse_known_args()


def contract_methods(source):
    """Service_Method of every rpc in proto/peixun/*/v1/*.proto."""
    methods = set()
    for service in ("catalog", "enrollment", "evaluation", "funding"):
        with open(os.path.join(source, "proto", "peixun", service, "v1", f"{service}.proto")) as f:
            text = f.read()
        for block in re.finditer(r"^service (\w+) \{(.*?)^\}", text, re.S | re.M):
            for rpc in re.finditer(r"^\s*rpc (\w+)\(", block.group(2), re.M):
                methods.add(f"{block.group(1)}_{rpc.group(1)}")
    return methods


class OpenApiDocument(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(ARGS.openapi) as f:
            cls.doc = json.load(f)
        cls.operations = {}
        for path, item in cls.doc["paths"].items():
            for verb, operation in item.items():
                cls.operations[operation["operationId"]] = (verb, path, operation)

    def test_lints_clean_with_redocly(self):
        redocly = os.path.join(ARGS.source, "node_modules", ".bin", "redocly")
        env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true")
        result = subprocess.run([redocly, "lint", "--config", os.path.join(ARGS.source, "redocly.yaml"), ARGS.openapi],
                                capture_output=True, text=True, env=env, timeout=300)
        output = result.stdout + result.stderr
        print(output.strip().splitlines()[-1] if output.strip() else "")
        self.assertEqual(result.returncode, 0, output)
        self.assertNotRegex(output, r"\d+ warnings?", output)

    def test_every_rpc_of_the_contracts_is_in_it(self):
        methods = contract_methods(ARGS.source)
        self.assertEqual(len(methods), 102)
        documented = {re.sub(r"\d+$", "", op) for op in self.operations}
        self.assertEqual(methods - documented, set(), "RPCs without an HTTP operation")
        self.assertEqual(documented - methods, set(), "operations of no RPC")

    def test_paths_methods_and_parameters_follow_the_annotations(self):
        verb, path, get_project = self.operations["CatalogService_GetProject"]
        self.assertEqual((verb, path), ("get", "/v1/years/{year}/projects/{project}"))
        names = {p["name"]: p for p in get_project["parameters"]}
        self.assertEqual(names["project"]["in"], "path")
        self.assertTrue(names["project"]["required"])
        self.assertEqual(names["project"]["schema"]["pattern"], "^[^/]+$")
        self.assertIn("years/*/projects/*", names["project"]["description"])

        verb, path, nominate = self.operations["EnrollmentService_NominateTeacher"]
        self.assertEqual((verb, path), ("post", "/v1/years/{year}/projects/{project}:nominate"))
        self.assertIn("遴选", nominate["description"], "proto comments, Chinese terms kept")
        self.assertIn("application/json", nominate["requestBody"]["content"])
        for code in ("200", "400", "401", "403", "default"):
            self.assertIn(code, nominate["responses"])
        self.assertEqual(nominate["responses"]["403"]["content"]["application/json"]["schema"]["$ref"],
                         "#/components/schemas/rpc.Status")

        verb, path, list_projects = self.operations["CatalogService_ListProjects"]
        query = {p["name"] for p in list_projects["parameters"] if p["in"] == "query"}
        self.assertEqual(query, {"pageSize", "pageToken", "filter"}, "lowerCamelCase query parameters")

        _, _, watch = self.operations["EnrollmentService_WatchEvents"]
        self.assertIn("text/event-stream", watch["responses"]["200"]["content"])
        _, _, upload = self.operations["EnrollmentService_ImportTeachers"]
        self.assertIn("application/x-ndjson", upload["requestBody"]["content"])

        verb, path, update = self.operations["CatalogService_UpdateProject"]
        self.assertEqual(verb, "patch")
        self.assertEqual(update["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                         "#/components/schemas/catalog.v1.Project")

    def test_schemas_follow_proto3_json(self):
        schemas = self.doc["components"]["schemas"]
        simulate = schemas["funding.v1.SimulateFundingRequest"]["properties"]
        self.assertEqual(simulate["budgetEnvelopeFen"]["type"], "string", "int64 as a string")
        project = schemas["catalog.v1.Project"]["properties"]
        self.assertIn("NATIONAL", project["planLevel"]["enum"])
        self.assertEqual(project["seats"]["type"], "integer")
        self.assertEqual(schemas["enrollment.v1.Teacher"]["properties"]["createTime"]["format"], "date-time")
        self.assertTrue(schemas["catalog.v1.Project"].get("description"), "message comments as descriptions")
        for name, schema in schemas.items():
            for prop, body in schema.get("properties", {}).items():
                self.assertRegex(prop, r"^(@type|[a-z][A-Za-z0-9]*)$", f"{name}.{prop}")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + REST, verbosity=2)
