/**
 * What the test model answers, decided from the conversation alone (no clock, no randomness), so the
 * legacy and hanzod, sent the same conversation, see the same model stream.
 *
 * Directives are written in the person's last message, `[[name:argument]]` (read without what the legacy
 * frames it with: time stamp, Runtime line, internal-context blocks and messages; legacy-framing.ts):
 *   [[reply:TEXT]]               answer exactly TEXT (default: "Echo: " + the message without directives)
 *   [[tokens:N]]                 answer N words ("w1 w2 … wN"), one per chunk: a long stream for throughput
 *   [[tool:NAME {json}]]         call tool NAME with these arguments; once a tool result follows, answer
 *                                "Tool NAME returned: <result>" (several tool directives: several calls, in order)
 *   [[fail:500]] [[fail:429]]    answer that HTTP status with an OpenAI error body, every time;
 *   [[fail:429*2]]               … only for the first 2 requests carrying this message, then answer normally;
 *   [[fail:429 retry-after-ms=20]]  … with a retry-after-ms header (clients honour it for their backoff)
 *   [[stall]]                    accept the request and never answer (until the client or the server gives up)
 *   [[stall:N]]                  stream N content chunks, then never finish
 *   [[cut:N]]                    stream N content chunks, then drop the connection (no finish, no [DONE])
 *   [[delay:MS]]                 wait MS before each chunk (a slow model; the first chunk too)
 */
import { contentText } from "./content.js";
import { personText } from "./legacy-framing.js";

export { contentText };

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

/** The parts of an OpenAI chat message the script reads; everything else is ignored. */
export interface ChatMessageIn {
  role: ChatRole | string;
  content?: unknown;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
}

export interface ToolCallPlan {
  id: string;
  name: string;
  /** JSON text, exactly as the model sends it. */
  arguments: string;
}

export type Fault =
  | { kind: "fail"; status: number; retryAfterMs?: number }
  | { kind: "stall"; afterChunks: number | null }
  | { kind: "cut"; afterChunks: number };

export interface Plan {
  /** Content pieces, streamed one per chunk; their concatenation is the whole answer. */
  chunks: string[];
  toolCalls: ToolCallPlan[];
  fault?: Fault;
  delayMs: number;
}

const DIRECTIVE = /\[\[(\w+)(?::([\s\S]*?))?\]\]/g;

interface Directive {
  name: string;
  arg: string;
}

export function directivesOf(text: string): Directive[] {
  return [...text.matchAll(DIRECTIVE)].map((m) => ({ name: (m[1] as string).toLowerCase(), arg: (m[2] ?? "").trim() }));
}

export function withoutDirectives(text: string): string {
  return text.replace(DIRECTIVE, " ").replace(/\s+/g, " ").trim();
}

/** "Hello big world" -> ["Hello", " big", " world"]: word pieces that concatenate back to the text. */
export function splitIntoChunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}

function nonNegativeInt(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ScriptError(`${what} needs a non-negative integer, got "${value ?? ""}"`);
  return n;
}

/** A directive the server cannot follow: answered 400 so a typo in a test shows at once. */
export class ScriptError extends Error {}

function parseTool(arg: string, index: number, seed: string): ToolCallPlan {
  const m = /^([A-Za-z0-9_.-]+)\s*([\s\S]*)$/.exec(arg);
  if (!m) throw new ScriptError(`[[tool:…]] needs a tool name, got "${arg}"`);
  const json = (m[2] as string).trim() || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ScriptError(`[[tool:${m[1] as string} …]] arguments are not JSON: ${json}`);
  }
  // Same conversation, same id: both runtimes see identical tool calls.
  return { id: `call_${stableHash(`${seed}\u0000${index}\u0000${arg}`)}`, name: m[1] as string, arguments: JSON.stringify(parsed) };
}

function parseFault(d: Directive): Fault {
  if (d.name === "stall") return { kind: "stall", afterChunks: d.arg === "" ? null : nonNegativeInt(d.arg, "[[stall:N]]") };
  if (d.name === "cut") return { kind: "cut", afterChunks: nonNegativeInt(d.arg, "[[cut:N]]") };
  const m = /^(\d{3})(?:\*(\d+))?(?:\s+retry-after-ms=(\d+))?$/.exec(d.arg);
  if (!m) throw new ScriptError(`[[fail:STATUS[*TIMES] [retry-after-ms=MS]]] expected, got "[[fail:${d.arg}]]"`);
  return { kind: "fail", status: Number(m[1]), ...(m[3] !== undefined ? { retryAfterMs: Number(m[3]) } : {}) };
}

/** How many requests carrying this fail directive are failed; undefined: all of them. */
export function failTimes(text: string): number | undefined {
  const d = directivesOf(text).find((x) => x.name === "fail");
  const m = d ? /^\d{3}\*(\d+)/.exec(d.arg) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The person's last message (its text without the legacy's framing, see legacy-framing.ts), and the
 * messages that came after it (assistant tool calls, tool results, the legacy's runtime-context messages).
 * A user message that only carries the legacy's runtime context is not the person's turn.
 */
export function lastUserTurn(messages: readonly ChatMessageIn[]): { text: string; after: readonly ChatMessageIn[] } {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as ChatMessageIn;
    if (m.role !== "user") continue;
    const text = personText(m.content);
    if (text !== undefined) return { text, after: messages.slice(i + 1) };
  }
  return { text: "", after: [] };
}

export function planReply(messages: readonly ChatMessageIn[]): Plan {
  const { text, after } = lastUserTurn(messages);
  const directives = directivesOf(text);
  let delayMs = 0;
  let fault: Fault | undefined;
  let reply: string | undefined;
  const tools: ToolCallPlan[] = [];
  for (const d of directives) {
    switch (d.name) {
      case "reply":
        reply = d.arg;
        break;
      case "tokens": {
        const n = nonNegativeInt(d.arg, "[[tokens:N]]");
        reply = Array.from({ length: n }, (_, i) => `w${i + 1}`).join(" ");
        break;
      }
      case "tool":
        tools.push(parseTool(d.arg, tools.length, text));
        break;
      case "delay":
        delayMs = nonNegativeInt(d.arg, "[[delay:MS]]");
        break;
      case "fail":
      case "stall":
      case "cut":
        fault = parseFault(d);
        break;
      default:
        throw new ScriptError(`unknown directive [[${d.name}]]`);
    }
  }

  // Tool calls the model already made this turn, and the results that came back for them.
  const results = after.filter((m) => m.role === "tool");
  const pending = tools.slice(results.length);
  if (pending.length > 0) {
    // One call per model response, in order: the next one after each result, as a model working step by step.
    return { chunks: [], toolCalls: [pending[0] as ToolCallPlan], ...(fault ? { fault } : {}), delayMs };
  }
  if (results.length > 0) {
    const last = results[results.length - 1] as ChatMessageIn;
    const call = after.flatMap((m) => m.tool_calls ?? []).find((c) => c.id === last.tool_call_id);
    const name = call?.function?.name ?? tools[results.length - 1]?.name ?? "tool";
    reply = `Tool ${name} returned: ${contentText(last.content).trim()}`;
  }
  const answer = reply ?? `Echo: ${withoutDirectives(text)}`;
  return { chunks: splitIntoChunks(answer), toolCalls: [], ...(fault ? { fault } : {}), delayMs };
}

/** FNV-1a, 32 bit, as 8 hex digits: short, stable ids from text (not for security). */
export function stableHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
