/**
 * The parity checklist's shape (parity/checklist.yaml): which backend answers which method. zod is the
 * single source: the loader validates with it and the editor JSON Schema is generated from it.
 */
import { z } from "zod";
import { VOLATILE_DETECTORS } from "../compare/types.js";

export const BACKENDS = ["legacy", "hanzod"] as const;
export const backendSchema = z.enum(BACKENDS).describe("A backend runtime: the legacy OpenClaw gateway or hanzod");

/** legacy | hanzod | shadow | canary:N (N percent of connections to hanzod, the rest to legacy). */
export const routeSchema = z
  .string()
  .regex(/^(legacy|hanzod|shadow|canary:(100|[1-9]?[0-9]))$/, 'route must be legacy, hanzod, shadow or "canary:N" with N in 0..100')
  .describe('Where a method goes: legacy, hanzod, shadow (legacy answers, hanzod gets a copy) or "canary:N" (N% of connections to hanzod)');

const globList = (what: string) => z.array(z.string().regex(/^(\/|$)/, "a path glob is a JSON pointer starting with /")).optional().describe(what);

/** The comparator's NormalizationRules (parity/compare/types.ts), as checklist data. */
export const compareRulesSchema = z
  .object({
    ignore: globList("JSON-pointer globs not compared at all"),
    unordered: globList("Arrays compared as multisets (differences name added/missing elements)"),
    shapeOnly: globList("Compared on structure and JSON types only, not values (runtime metrics)"),
    typeOnly: globList("Compared on JSON type alone: no length, elements or keys (inventories)"),
    optional: globList("May be present on one side only; compared when both sides have it"),
    volatile: z
      .array(z.enum(VOLATILE_DETECTORS))
      .optional()
      .describe("Value detectors replaced by placeholders; added to the defaults' detectors (layers union)"),
  })
  .strict()
  .describe("Per-method comparison rules for shadow diffing (used by the parity comparator)");

const gateFields = {
  minShadowCalls: z.number().int().nonnegative().optional().describe("Shadow comparisons needed before promotion (default 1000)"),
  minMatchRate: z.number().min(0).max(1).optional().describe("Match rate after noise, 0..1 (default 0.999)"),
  latencyTolerance: z.number().nonnegative().optional().describe("Latency shift (hanzod - legacy) still counted as not slower, as a share of legacy's median (default 0.2)"),
  latencyToleranceMs: z.number().nonnegative().optional().describe("Smallest latency tolerance in milliseconds (default 0.5)"),
  tailFraction: z.number().gt(0).max(0.5).optional().describe("Slowest share of each side's samples the tail check compares (default 0.1)"),
  tailTolerance: z.number().nonnegative().optional().describe("Tail shift still counted as not slower, as a share of legacy's tail median (default 0.2)"),
  confidence: z.number().gt(0.5).lt(1).optional().describe("Confidence of the gates' intervals (default 0.95)"),
  maxP99Ratio: z.number().positive().optional().describe("Older form of tailTolerance: tailTolerance = maxP99Ratio - 1"),
  requireContractReplay: z.boolean().optional().describe("The latest contract replay against hanzod must be green (default true)"),
};

export const gatesSchema = z
  .object(gateFields)
  .catchall(z.unknown())
  .describe("Promotion gates (consumed by hanzonode parity)");

/** A method's (or glob's, or phase's) own gate: any subset of `gates`, overriding it for those methods. */
export const gateOverrideSchema = z.object(gateFields).strict().describe("Per-entry gate override: the given fields replace the checklist's `gates:`");

export const routeEntrySchema = z
  .object({
    route: routeSchema,
    fallback: z.literal("legacy").optional().describe("When hanzod is down or failing, answer from legacy (circuit breaker)"),
    shadow: z.literal("isolated").optional().describe("Shadow a side-effecting method: hanzod runs it against throwaway state"),
    compare: compareRulesSchema.optional(),
    gate: gateOverrideSchema.optional(),
  })
  .strict();

export const entrySchema = z.union([routeSchema, routeEntrySchema]);

export const phaseNames = ["phase1", "phase2", "phase3", "phase4", "later"] as const;

export const shadowSettingsSchema = z
  .object({
    queueSize: z.number().int().positive().max(1_000_000).default(1000).describe("Bounded shadow queue; full = drop and count"),
    noiseSampleRate: z.number().min(0).max(1).default(0.05).describe("Share of shadowed read calls sent to legacy twice to learn noise"),
    maxPerSecond: z
      .number()
      .int()
      .nonnegative()
      .default(500)
      .describe("Shadow copies per second per method at most; calls beyond it are answered as usual and not copied (0 = copy every call)"),
  })
  .strict();

export const checklistSchema = z
  .object({
    version: z.literal(1),
    authOwner: backendSchema.default("legacy").describe("Backend that owns connect/auth, tick, presence and health events"),
    nodeOwner: backendSchema.default("legacy").describe("Backend that owns node-role connections (pinned whole)"),
    default: routeSchema.default("legacy"),
    phases: z.partialRecord(z.enum(phaseNames), entrySchema).default({}),
    methods: z.record(z.string().min(1), entrySchema).default({}),
    gates: gatesSchema.optional(),
    shadow: shadowSettingsSchema.default({ queueSize: 1000, noiseSampleRate: 0.05, maxPerSecond: 500 }),
  })
  .strict();

export type Route = z.infer<typeof routeSchema>;
export type RouteEntry = z.infer<typeof routeEntrySchema>;
export type ChecklistEntry = z.infer<typeof entrySchema>;
export type CompareRules = z.infer<typeof compareRulesSchema>;
export type GateOverride = z.infer<typeof gateOverrideSchema>;
export type Checklist = z.infer<typeof checklistSchema>;
export type ChecklistInput = z.input<typeof checklistSchema>;
export type PhaseName = (typeof phaseNames)[number];
export type Backend = (typeof BACKENDS)[number];
/** The checklist keys naming a backend that owns whole connections. */
export type OwnerKey = "authOwner" | "nodeOwner";
