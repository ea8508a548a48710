/**
 * The model a turn calls: the legacy config's default model (`agents.defaults.model.primary`) of a
 * configured OpenAI-compatible provider (`models.providers.<id>`: `baseUrl`, `apiKey`, the default
 * `openai-completions` API), called through the `openai` client (streaming chat completions, as the
 * legacy's own bundled client calls it: `stream: true`, `stream_options.include_usage`,
 * `max_completion_tokens` = the model's `maxTokens`). No tools are sent: hanzod runs none yet.
 *
 * What hanzod cannot call as the legacy would (another API, a key from a secret reference or the
 * environment, a priced model whose cost the legacy computes) is named for a decline.
 */
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { configuredModel } from "./session-info.js";

export interface TurnModel {
  provider: string;
  model: string;
  baseUrl: string;
  apiKey: string;
  maxTokens: number | undefined;
  contextTokens: number;
}

const at = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), v);

/** The turn's model, or a string naming why hanzod declines it. (configuredModel throws its own refusal.) */
export function turnModel(cfg: Record<string, unknown>): TurnModel | string {
  const m = configuredModel(cfg);
  const p = at(cfg, ["models", "providers", m.provider]) as Record<string, unknown>;
  const api = p.api ?? "openai-completions";
  if (api !== "openai-completions") return `a provider whose API is "${String(api)}" (only openai-completions is run)`;
  if (typeof p.baseUrl !== "string" || !p.baseUrl) return "a provider without a baseUrl";
  // A key the legacy resolves (a secret reference, an env placeholder) is not resolved here.
  if (typeof p.apiKey !== "string" || p.apiKey.includes("${")) return "a provider whose apiKey is not a plain string";
  if (p.headers !== undefined || p.auth !== undefined || p.request !== undefined) return "a provider with headers, auth or request settings";
  const entry = ((p.models ?? []) as Record<string, unknown>[]).find((x) => x?.id === m.model) as Record<string, unknown>;
  const cost = entry.cost as Record<string, unknown> | undefined;
  if (cost !== undefined && Object.values(cost).some((c) => c !== 0)) return "a priced model (the legacy's cost accounting is not ported)";
  if (entry.input !== undefined && !(Array.isArray(entry.input) && entry.input.every((i) => i === "text"))) return "a model with non-text input";
  return { provider: m.provider, model: m.model, baseUrl: p.baseUrl, apiKey: p.apiKey, maxTokens: typeof entry.maxTokens === "number" ? entry.maxTokens : undefined, contextTokens: m.contextTokens };
}

export interface StreamResult {
  text: string;
  responseId: string | undefined;
  finishReason: string | undefined;
  usage: { input: number; output: number } | undefined;
}

/**
 * Streams one completion, calling `onText` with each content piece. Errors are the `openai` client's
 * (`APIError` with its status after the client's own retries, `APIConnectionError`, an abort).
 */
export async function streamCompletion(m: TurnModel, messages: ChatCompletionMessageParam[], onText: (piece: string) => void, signal: AbortSignal): Promise<StreamResult> {
  const client = new OpenAI({ baseURL: m.baseUrl, apiKey: m.apiKey, maxRetries: 3, timeout: 120_000 });
  const stream = await client.chat.completions.create(
    { model: m.model, messages, stream: true, stream_options: { include_usage: true }, ...(m.maxTokens !== undefined ? { max_completion_tokens: m.maxTokens } : {}) },
    { signal },
  );
  let text = "";
  let responseId: string | undefined;
  let finishReason: string | undefined;
  let usage: StreamResult["usage"];
  for await (const chunk of stream) {
    responseId ??= chunk.id;
    const choice = chunk.choices[0];
    const piece = choice?.delta?.content;
    if (typeof piece === "string" && piece.length > 0) {
      text += piece;
      onText(piece);
    }
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
  }
  return { text, responseId, finishReason, usage };
}
