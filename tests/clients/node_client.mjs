// A Node client of peixun, as an integrator would write one: over native gRPC with npm
// @grpc/grpc-js (the contracts loaded from proto/ by @grpc/proto-loader) and over HTTP/JSON
// with fetch through the gateway, on the same contracts; both must say the same.
//   node tests/clients/node_client.mjs --source=DIR --grpc=HOST:PORT (catalog) --http=URL
//     (a viewer's token in PEIXUN_CLIENT_TOKEN)
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { source: { type: "string" }, grpc: { type: "string" }, http: { type: "string" } } });
const require = createRequire(`${args.source}/package.json`);
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const token = process.env.PEIXUN_CLIENT_TOKEN;

const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
}

const definition = loader.loadSync("peixun/catalog/v1/catalog.proto", {
  includeDirs: [`${args.source}/proto`, "/usr/share/gocode/src/github.com/gogo/googleapis", "/usr/include"],
  keepCase: false, longs: String, enums: String, defaults: false,
});
const { CatalogService } = grpc.loadPackageDefinition(definition).peixun.catalog.v1;
const catalog = new CatalogService(args.grpc, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
metadata.set("authorization", `Bearer ${token}`);
const call = (method, request) => new Promise((resolve, reject) =>
  catalog[method](request, metadata, { deadline: Date.now() + 10000 }, (error, answer) => (error ? reject(error) : resolve(answer))));

const name = "years/2022/projects/rural-chief";
const overGrpc = await call("GetProject", { name });
const overHttp = await (await fetch(`${args.http}/v1/${name}`, { headers: { Authorization: `Bearer ${token}` } })).json();
check(overGrpc.displayName === "乡村教师培训", `gRPC GetProject: ${overGrpc.displayName}`);
check(overHttp.displayName === overGrpc.displayName && overHttp.host === overGrpc.host && overHttp.seats === overGrpc.seats,
  `HTTP GetProject says the same: ${overHttp.displayName}, ${overHttp.host}, ${overHttp.seats}`);

const regions = await call("ListRegions", { filter: 'level = "COUNTY"', pageSize: 100 });
const httpRegions = await (await fetch(`${args.http}/v1/regions?pageSize=100&filter=${encodeURIComponent('level = "COUNTY"')}`,
  { headers: { Authorization: `Bearer ${token}` } })).json();
check(regions.regions.length === httpRegions.regions.length && regions.regions.length > 0,
  `ListRegions: ${regions.regions.length} counties over gRPC, ${httpRegions.regions.length} over HTTP`);

// Refusals: a gRPC status over gRPC, its HTTP mapping with a google.rpc.Status over HTTP.
try {
  await call("GetProject", { name: "years/2022/projects/no-such-project" });
  check(false, "a missing project is NOT_FOUND over gRPC");
} catch (error) {
  check(error.code === grpc.status.NOT_FOUND, `a missing project is NOT_FOUND over gRPC (${error.details})`);
}
const missing = await fetch(`${args.http}/v1/years/2022/projects/no-such-project`, { headers: { Authorization: `Bearer ${token}` } });
const status = await missing.json();
check(missing.status === 404 && status.code === 5 && status.message.length > 0, `and 404 over HTTP: ${JSON.stringify(status)}`);
catalog.close();
console.log(JSON.stringify({ client: "node", failures: failures.length }));
process.exit(failures.length === 0 ? 0 : 1);
