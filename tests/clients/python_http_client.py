#!/usr/bin/python3
"""A Python client of peixun over HTTP/JSON with nothing but the standard library (urllib), as an
integrator's script would be: read a project, page through counties, nominate as a county admin
and read the refusal's rule, all through the gateway.
  python_http_client.py --http=URL --teacher=teachers/... (tokens in PEIXUN_CLIENT_TOKEN and
  PEIXUN_CLIENT_COUNTY_TOKEN)"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--http", required=True)
PARSER.add_argument("--teacher", required=True)
ARGS = PARSER.parse_args()
FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
    print(f"{'ok  ' if condition else 'FAIL'} {what}")


def call(method, path, token, body=None, query=None):
    """(HTTP status, JSON answer) of one call."""
    url = ARGS.http + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


viewer = os.environ["PEIXUN_CLIENT_TOKEN"]
county = os.environ["PEIXUN_CLIENT_COUNTY_TOKEN"]
status, project = call("GET", "/v1/years/2022/projects/rural-chief", viewer)
check(status == 200 and project["displayName"] == "乡村教师培训", f"GetProject: {status} {project.get('displayName')}")

names, token = [], ""
while True:
    query = {"filter": 'level = "COUNTY"', "pageSize": 1}
    if token:
        query["pageToken"] = token
    status, page = call("GET", "/v1/regions", viewer, query=query)
    names += [r["displayName"] for r in page.get("regions", [])]
    token = page.get("nextPageToken", "")
    if status != 200 or not token:
        break
check(len(names) >= 3 and "兰考县" in names, f"every county, a page at a time: {names}")

status, answer = call("POST", "/v1/years/2022/projects/rural-chief:nominate", county, {"teacher": ARGS.teacher})
rules = [d.get("metadata", {}).get("rule") for d in answer.get("details", [])
         if d.get("@type") == "type.googleapis.com/google.rpc.ErrorInfo"]
check(status == 403 and answer["code"] == 7 and rules == ["R-7"],
      f"another county's teacher is refused by rule, named in the details: {status} {answer}")
status, answer = call("POST", "/v1/years/2022/projects/rural-chief:nominate", county,
                      {"teacher": ARGS.teacher, "colour": "red"})
check(status == 400 and "colour" in answer["message"], f"an unknown field is named: {status} {answer}")
print(json.dumps({"client": "python", "failures": len(FAILURES)}))
sys.exit(1 if FAILURES else 0)
