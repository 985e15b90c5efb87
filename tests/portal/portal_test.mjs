// The county admin's portal page (services/gateway/static/portal/) in Debian's headless
// Chromium, driven by npm puppeteer-core against a running gateway: the rows render, a
// nomination shows up (and moves the county's rate), a refused one shows its rule, a
// screenshot is saved, and any console error or uncaught exception fails the test.
//   node tests/portal/portal_test.mjs --source=DIR --url=http://127.0.0.1:PORT --screenshot=FILE
//     --teacher=teachers/… --project=years/2022/projects/… (token in PEIXUN_PORTAL_TOKEN)
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    source: { type: "string" }, url: { type: "string" }, screenshot: { type: "string" },
    teacher: { type: "string" }, project: { type: "string" },
  },
});
const require = createRequire(`${args.source}/package.json`);
const puppeteer = require("puppeteer-core");

const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
}

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--lang=zh-CN"],
});
const problems = [];
// The refusal the test provokes answers 4xx, which Chromium reports on the console too; only
// that one is expected.
let expectedRefusal = null;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url || "";
    if (expectedRefusal && where.endsWith(":nominate") && /status of 4\d\d/.test(message.text())) {
      expectedRefusal.seen = true;
      return;
    }
    problems.push(`console: ${message.text()} (${where})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.setDefaultTimeout(20000);

  await page.goto(`${args.url}/portal/#token=${process.env.PEIXUN_PORTAL_TOKEN}&year=2022`, { waitUntil: "load" });
  await page.waitForSelector("#main:not([hidden])");
  check(!(await page.url()).includes("token="), "the token leaves the address bar");

  const projects = await page.$$eval("#projects tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  check(projects.some((cells) => cells[0] === "乡村教师培训" && cells[4] === "5"), `projects with the county's seats: ${JSON.stringify(projects)}`);
  const teachers = await page.$$eval("#teachers tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  check(teachers.length >= 2 && teachers.every((cells) => /^\d{4}\*{10}\d{3}[\dX]$/.test(cells[3])),
    `the county's teachers, ID numbers masked: ${JSON.stringify(teachers)}`);
  check(teachers.some((cells) => cells[0] === "李秀英"), "李秀英 is listed");
  const nominatedBefore = await page.$eval("#rates tbody tr td:nth-child(3)", (td) => Number(td.textContent));

  // Nominate 李秀英.
  await page.select("#nominee", args.teacher);
  await page.select("#project", args.project);
  await page.click("#nominate button");
  await page.waitForSelector("#outcome.ok");
  const accepted = await page.$eval("#outcome", (p) => p.textContent);
  check(accepted.includes("已遴选") && accepted.includes("李秀英") && accepted.includes("NOMINATED"), `accepted: ${accepted}`);
  await page.waitForFunction((before) => Number(document.querySelector("#rates tbody tr td:nth-child(3)").textContent) === before + 1,
    {}, nominatedBefore);
  check(true, "the county's nominated count went up by one");

  // The same nomination again is refused, with its rule shown.
  expectedRefusal = { seen: false };
  await page.click("#nominate button");
  await page.waitForSelector("#outcome.refused");
  const rule = await page.$eval("#outcome .rule", (span) => span.textContent);
  const refused = await page.$eval("#outcome", (p) => p.textContent);
  check(/^R-\d+/.test(rule), `refused with rule ${rule}: ${refused}`);
  expectedRefusal = null;

  await page.screenshot({ path: args.screenshot, fullPage: true });
  check(true, `screenshot saved to ${args.screenshot}`);
} finally {
  await browser.close();
}
for (const problem of problems) check(false, problem);
console.log(JSON.stringify({ test: "portal", failures: failures.length, console_problems: problems.length }));
process.exit(failures.length === 0 ? 0 : 1);
