// Runs the real @openclaw/gateway-client (Node 24) against a URL and prints each call's result as JSON.
// argv[2]: {"clientDir","url","token","calls":[{"method","params"}]}
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const plan = JSON.parse(process.argv[2]);
const { GatewayClient } = await import(pathToFileURL(join(plan.clientDir, "dist", "index.mjs")).href);
const helloOk = Promise.withResolvers();
const client = new GatewayClient({
  url: plan.url,
  token: plan.token,
  deviceIdentity: null,
  onHelloOk: () => helloOk.resolve(),
  onConnectError: (err) => helloOk.reject(err),
});
client.start();
const guard = setTimeout(() => {
  process.stderr.write("no hello-ok within 30 s\n");
  process.exit(2);
}, 30_000);
await helloOk.promise;
clearTimeout(guard);
for (const { method, params } of plan.calls) {
  try {
    const payload = await client.request(method, params ?? {});
    process.stdout.write(JSON.stringify({ method, ok: true, answeredBy: payload?.answeredBy ?? null }) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ method, ok: false, message: String(err?.message ?? err) }) + "\n");
  }
}
await client.stopAndWait({ timeoutMs: 5000 });
process.exit(0);
