// Run with the legacy's Node 24: node gateway-client-driver.mjs <gatewayClientDir> <url> <token>
// Connects @openclaw/gateway-client with an Ed25519 device identity, calls health, then reconnects
// with only the device token the gateway issued. Prints one JSON line per step.
import { createHash, generateKeyPairSync, sign, createPrivateKey, createPublicKey } from "node:crypto";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [dir, url, token] = process.argv.slice(2);
const { GatewayClient } = await import(pathToFileURL(join(dir, "dist", "index.mjs")).href);

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const raw = publicKey.export({ type: "spki", format: "der" }).subarray(12);
const identity = {
  deviceId: createHash("sha256").update(raw).digest("hex"),
  privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
};
const stored = new Map();
const hostDeps = {
  loadOrCreateDeviceIdentity: () => identity,
  signDevicePayload: (pem, payload) => sign(null, Buffer.from(payload, "utf8"), createPrivateKey(pem)).toString("base64url"),
  publicKeyRawBase64UrlFromPem: (pem) => createPublicKey(pem).export({ type: "spki", format: "der" }).subarray(12).toString("base64url"),
  loadDeviceAuthToken: ({ deviceId, role }) => stored.get(`${deviceId}:${role}`) ?? null,
  storeDeviceAuthToken: ({ deviceId, role, token: t, scopes }) => stored.set(`${deviceId}:${role}`, { token: t, scopes }),
  clearDeviceAuthToken: ({ deviceId, role }) => stored.delete(`${deviceId}:${role}`),
};
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

async function session(label, sharedToken) {
  let hello;
  const ready = new Promise((resolve, reject) => {
    const client = new GatewayClient({
      url,
      ...(sharedToken ? { token: sharedToken } : {}),
      clientName: "test",
      mode: "test",
      platform: "linux",
      role: "operator",
      scopes: ["operator.read"],
      deviceIdentity: identity,
      hostDeps,
      onHelloOk: (h) => { hello = h; resolve(client); },
      onConnectError: (e) => reject(e),
      onClose: (code, reason) => { if (!hello) reject(new Error(`closed ${code} ${reason}`)); },
    });
    client.start();
  });
  const client = await Promise.race([ready, new Promise((_, r) => setTimeout(() => r(new Error("timeout")), 20000))]);
  const health = await client.request("health", {});
  out({ step: label, authScopes: hello.auth.scopes, hasDeviceToken: typeof hello.auth.deviceToken === "string", stored: stored.size, healthOk: health.ok === true, serverVersion: hello.server.version });
  client.stop();
}

try {
  out({ step: "identity", deviceId: identity.deviceId });
  await session("paired", token);
  await session("device-token-only", undefined);
  process.exit(0);
} catch (err) {
  out({ step: "error", message: String(err?.message ?? err) });
  process.exit(1);
}
