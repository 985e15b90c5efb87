// A county admin's portal on peixun's HTTP/JSON API (the gateway): its projects and seats, its
// teachers, nominating one (a refusal shows the rule, R-…), and its rates. Plain JavaScript
// against the documented API (/docs/); the token stays in this tab's sessionStorage.
"use strict";

const state = { token: "", year: "2022", county: "" };

function $(id) { return document.getElementById(id); }

// One API call: JSON in and out; a refusal throws with the google.rpc.Status message.
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + state.token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const error = new Error(json.message || response.statusText);
    error.status = response.status;
    // The rule a refusal names, from its google.rpc.ErrorInfo (AIP-193), e.g. "R-7".
    const info = (json.details || []).find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo");
    error.rule = info && info.metadata ? info.metadata.rule : undefined;
    throw error;
  }
  return json;
}

// Every page of a List method.
async function listAll(path, field) {
  const items = [];
  let token = "";
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page = await api("GET", path + separator + "pageSize=200" + (token ? "&pageToken=" + encodeURIComponent(token) : ""));
    items.push(...(page[field] || []));
    token = page.nextPageToken || "";
  } while (token);
  return items;
}

// The county the token speaks for: its region claim.
function claimsOf(token) {
  const part = token.split(".")[1] || "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(decodeURIComponent(escape(json)));
}

function cell(row, text, number) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (number) td.className = "number";
  return td;
}

function percent(bp) { return ((bp || 0) / 100).toFixed(1) + "%"; }
function date(d) { return d ? `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}` : ""; }
function masked(id) { return id && id.length === 18 ? id.slice(0, 4) + "**********" + id.slice(14) : (id || ""); }

async function loadProjects() {
  const projects = await listAll(`/v1/years/${state.year}/projects`, "projects");
  const body = $("projects").tBodies[0];
  body.replaceChildren();
  $("project").replaceChildren();
  for (const project of projects) {
    let seats = 0;
    try {
      seats = (await api("GET", `/v1/${project.name}/quotas/${state.county}`)).seats || 0;
    } catch (error) {
      if (error.status !== 404) throw error;  // no seats for this county
    }
    const row = body.insertRow();
    row.dataset.name = project.name;
    cell(row, project.displayName);
    cell(row, project.planLevel);
    cell(row, project.host);
    cell(row, `${date(project.startDate)} – ${date(project.endDate)}`);
    cell(row, seats, true);
    if (seats > 0) $("project").add(new Option(project.displayName, project.name));
  }
}

async function loadTeachers() {
  const filter = encodeURIComponent(`county = "regions/${state.county}"`);
  const teachers = await listAll(`/v1/teachers?filter=${filter}`, "teachers");
  const body = $("teachers").tBodies[0];
  body.replaceChildren();
  $("nominee").replaceChildren();
  for (const teacher of teachers) {
    const row = body.insertRow();
    row.dataset.name = teacher.name;
    cell(row, teacher.displayName);
    cell(row, teacher.school);
    cell(row, teacher.stage);
    cell(row, masked(teacher.idNumber));  // shown masked even where the API gives it whole
    cell(row, teacher.rural ? "是" : "");
    $("nominee").add(new Option(`${teacher.displayName}（${teacher.school}）`, teacher.name));
  }
}

async function loadRates() {
  const report = await api("GET", `/v1/years/${state.year}/rateReport?scope=COUNTY&region=regions/${state.county}`);
  const body = $("rates").tBodies[0];
  body.replaceChildren();
  for (const r of report.rows || []) {
    const row = body.insertRow();
    row.dataset.key = r.key;
    cell(row, r.displayName);
    for (const n of [r.quota, r.nominated, r.checkedIn, r.completed]) cell(row, n || 0, true);
    for (const bp of [r.nominationRateBp, r.checkInRateBp, r.completionRateBp]) cell(row, percent(bp), true);
  }
}

async function nominate(event) {
  event.preventDefault();
  const outcome = $("outcome");
  outcome.className = "";
  outcome.textContent = "遴选中…";
  try {
    const enrollment = await api("POST", `/v1/${$("project").value}:nominate`,
      { teacher: $("nominee").value, requestId: crypto.randomUUID() });
    outcome.className = "ok";
    outcome.textContent = `已遴选：${$("nominee").selectedOptions[0].text} → ${$("project").selectedOptions[0].text}（${enrollment.name}，${enrollment.state}）`;
    await loadRates();
  } catch (error) {
    outcome.className = "refused";
    outcome.replaceChildren();
    if (error.rule) {
      const badge = document.createElement("span");
      badge.className = "rule";
      badge.textContent = error.rule;
      outcome.append(badge);
    }
    outcome.append(`未通过：${error.message}`);
  }
}

async function enter(event) {
  if (event) event.preventDefault();
  state.token = $("token").value.trim().replace(/^Bearer\s+/i, "");
  state.year = $("year").value.trim();
  if (!state.token) return;
  sessionStorage.setItem("peixun.token", state.token);
  try {
    const claims = claimsOf(state.token);
    if (claims.role !== "county_admin" || !claims.region) throw new Error("这个令牌不是县级管理员的令牌 (role county_admin)");
    state.county = claims.region;
    const region = await api("GET", `/v1/regions/${state.county}`);
    $("county").textContent = `${region.displayName}（${state.county}）`;
    $("status").textContent = "加载中…";
    await Promise.all([loadProjects(), loadTeachers(), loadRates()]);
    $("main").hidden = false;
    $("status").textContent = `${state.year} 年度`;
  } catch (error) {
    $("status").textContent = `无法进入：${error.message}`;
  }
}

$("signin").addEventListener("submit", enter);
$("nominate").addEventListener("submit", nominate);
// A token handed over in the fragment (never sent to a server) or kept in this tab.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  $("token").value = fragment.get("token");
  if (fragment.get("year")) $("year").value = fragment.get("year");
  history.replaceState(null, "", location.pathname);
} else if (sessionStorage.getItem("peixun.token")) {
  $("token").value = sessionStorage.getItem("peixun.token");
}
if ($("token").value) enter();
