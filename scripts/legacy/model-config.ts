/**
 * Pointing the legacy at a model server of our own (scripts/model-server), with no cloud provider in
 * reach: one custom OpenAI-compatible provider, made the default agent model, the hosted catalog replaced.
 */

export interface LegacyModelProvider {
  /** The server's OpenAI base URL, `/v1` included (ModelServer.baseUrl). */
  baseUrl: string;
  /** Provider-local model id, as the server lists it. */
  modelId: string;
  /** Provider id in the config (default "hanzotest"); the agent's model is `<providerId>/<modelId>`. */
  providerId?: string;
  /** Which OpenAI API the legacy calls; the legacy's own default for a custom baseUrl is chat completions. */
  api?: "openai-completions" | "openai-responses";
}

export const DEFAULT_PROVIDER_ID = "hanzotest";

/** The config fragment (merged into openclaw.json) for that provider. */
export function modelProviderConfig(p: LegacyModelProvider): Record<string, unknown> {
  const providerId = p.providerId ?? DEFAULT_PROVIDER_ID;
  return {
    agents: { defaults: { model: { primary: `${providerId}/${p.modelId}` } } },
    models: {
      // replace: the shipped hosted catalog is not offered, so nothing falls back to a cloud model.
      mode: "replace",
      providers: {
        [providerId]: {
          baseUrl: p.baseUrl,
          // A local marker, not a secret: the legacy accepts one for a loopback baseUrl.
          apiKey: "hanzonode-local",
          api: p.api ?? "openai-completions",
          timeoutSeconds: 120,
          models: [
            {
              id: p.modelId,
              name: `hanzonode test model ${p.modelId}`,
              reasoning: false,
              input: ["text"],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
  };
}

/** Provider credentials the machine may carry: left out of the legacy's environment, so no cloud call can authenticate. */
export function isCloudCredentialVar(name: string): boolean {
  return /(^|_)(API_KEY|AUTH_TOKEN|ACCESS_TOKEN|OAUTH_TOKEN)$/.test(name) || /^(OPENAI|ANTHROPIC|GEMINI|GOOGLE|OPENROUTER|AZURE|AWS|MISTRAL|GROQ|XAI|DEEPSEEK)_/.test(name);
}
