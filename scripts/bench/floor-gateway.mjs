// The start-up baseline for `bench:hanzod`: the least a Node process can be and still answer the
// handshake and `health` over WebSocket (node + ws, no validation, no state). Plain JS run by node, so
// it loads like a compiled bin. hanzod's start-up and RSS are reported as ratios against this floor.
import { WebSocketServer } from "ws";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const wss = new WebSocketServer({ port, host: "127.0.0.1", perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "floor", ts: Date.now() } }));
  ws.on("message", (data) => {
    const f = JSON.parse(data.toString());
    ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: f.method === "connect" ? { type: "hello-ok", protocol: 4 } : { ok: true } }));
  });
});
wss.on("listening", () => process.stdout.write(`floor listening on ws://127.0.0.1:${port}\n`));
