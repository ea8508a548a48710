/**
 * The model pricing the legacy would apply to a transcript's usage records, as far as hanzod can prove it
 * from state: only the answer "this model's rates are zero" (or "it has no rates"), never a price.
 *
 * The legacy resolves a model's rates (dist usage-format `resolveModelCostConfig`, both releases) from, in
 * order: the agent dir's `models.json` (cached per process on 2026.9.6), the config's
 * `models.providers.<p>.models[].cost` when all four rates are set, then its plugins' pricing catalogs and
 * the remote model catalog (process memory, network). hanzod reads none of the last two, so it proves a
 * zero price only where the config itself sets all four rates to 0 for that exact provider and model, and
 * `models.json` (if any) holds no non-zero or tiered rate anywhere. With zero rates (or none), a usage
 * record's cost is its recorded cost when positive, else 0, on both releases (see domains/usage).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isRecord } from "../../protocol/index.js";

const RATES = ["input", "output", "cacheRead", "cacheWrite"] as const;

/** A cost object with no positive rate and no tiers (what cannot change a zero estimate). */
function zeroRates(cost: unknown): boolean {
  if (cost === undefined) return true;
  if (!isRecord(cost)) return false;
  if (cost.tieredPricing !== undefined) return false;
  return Object.entries(cost).every(([, v]) => v === undefined || v === 0);
}

export type PricingProof = { zero: true } | { zero: false; reason: string };

/** Why the legacy's agent dir for `agentId` is not `<stateDir>/agents/<id>/agent` (hanzod then declines), or undefined. */
function customAgentDir(cfg: Record<string, unknown>): boolean {
  const agents = cfg.agents;
  if (!isRecord(agents)) return false;
  if (isRecord(agents.defaults) && agents.defaults.agentDir !== undefined) return true;
  const entries = [...(Array.isArray(agents.list) ? agents.list : []), ...(isRecord(agents.entries) ? Object.values(agents.entries) : [])];
  return entries.some((e) => isRecord(e) && e.agentDir !== undefined);
}

export class UsagePricing {
  constructor(private readonly stateDir: string) {}

  /** Whether `models.json` of the agent dir holds only zero rates (or does not exist). */
  private modelsJsonZero(agentId: string): PricingProof {
    const file = join(this.stateDir, "agents", agentId, "agent", "models.json");
    if (!existsSync(file)) return { zero: true };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return { zero: false, reason: "an agent models.json hanzod cannot read" };
    }
    const providers = isRecord(parsed) ? parsed.providers : undefined;
    if (providers === undefined) return { zero: true };
    if (!isRecord(providers)) return { zero: false, reason: "an agent models.json of an unknown shape" };
    for (const p of Object.values(providers)) {
      const models = isRecord(p) ? p.models : undefined;
      if (models === undefined) continue;
      if (!Array.isArray(models)) return { zero: false, reason: "an agent models.json of an unknown shape" };
      for (const m of models) if (!isRecord(m) || !zeroRates(m.cost)) return { zero: false, reason: "model rates in the agent models.json" };
    }
    return { zero: true };
  }

  /** Proves zero rates for one usage record's provider and model, or says why it cannot. */
  prove(cfg: Record<string, unknown>, agentId: string, provider: unknown, model: unknown): PricingProof {
    if (customAgentDir(cfg)) return { zero: false, reason: "an agent with its own agentDir" };
    const fromModelsJson = this.modelsJsonZero(agentId);
    if (!fromModelsJson.zero) return fromModelsJson;
    // No provider or model: the legacy resolves no rates at all (`resolveModelCostConfig` returns undefined).
    const p = typeof provider === "string" ? provider.trim() : "";
    const m = typeof model === "string" ? model.trim() : "";
    if (!p || !m) return { zero: true };
    const providers = isRecord(cfg.models) ? cfg.models.providers : undefined;
    if (!isRecord(providers)) return { zero: false, reason: `a model without configured rates ("${p}/${m}")` };
    // The legacy matches providers trimmed and lower-cased; a second key folding to the same id is not ported.
    const keys = Object.keys(providers).filter((k) => k.trim().toLowerCase() === p.toLowerCase());
    if (keys.length !== 1 || keys[0] !== p) return { zero: false, reason: `a provider configured under another spelling ("${p}")` };
    const models = (providers[p] as Record<string, unknown> | undefined)?.models;
    const entries = Array.isArray(models) ? models.filter((e) => isRecord(e) && typeof e.id === "string" && e.id.trim().toLowerCase() === m.toLowerCase()) : [];
    if (entries.length !== 1 || (entries[0] as Record<string, unknown>).id !== m) return { zero: false, reason: `a model without configured rates ("${p}/${m}")` };
    const cost = (entries[0] as Record<string, unknown>).cost;
    if (!isRecord(cost) || !RATES.every((r) => cost[r] === 0) || !zeroRates(cost)) return { zero: false, reason: `a model with configured rates ("${p}/${m}")` };
    return { zero: true };
  }
}
