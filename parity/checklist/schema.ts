/**
 * The parity checklist's shape (parity/checklist.yaml): which backend answers which method. zod is the
 * single source: the loader validates with it and the editor JSON Schema is generated from it.
 */
import { z } from "zod";

export const BACKENDS = ["legacy", "hanzod"] as const;
export const backendSchema = z.enum(BACKENDS).describe("A backend runtime: the legacy OpenClaw gateway or hanzod");

/** legacy | hanzod | shadow | canary:N (N percent of connections to hanzod, the rest to legacy). */
export const routeSchema = z
  .string()
  .regex(/^(legacy|hanzod|shadow|canary:(100|[1-9]?[0-9]))$/, 'route must be legacy, hanzod, shadow or "canary:N" with N in 0..100')
  .describe('Where a method goes: legacy, hanzod, shadow (legacy answers, hanzod gets a copy) or "canary:N" (N% of connections to hanzod)');

export const compareRulesSchema = z
  .object({
    ignore: z.array(z.string()).optional().describe("JSON-pointer globs not compared"),
    unordered: z.array(z.string()).optional().describe("Arrays compared as multisets"),
    volatile: z.array(z.enum(["timestamp", "duration", "uuid", "connId", "version", "nonce"])).optional(),
  })
  .strict()
  .describe("Per-method comparison rules for shadow diffing (used by the parity comparator)");

export const routeEntrySchema = z
  .object({
    route: routeSchema,
    fallback: z.literal("legacy").optional().describe("When hanzod is down or failing, answer from legacy (circuit breaker)"),
    shadow: z.literal("isolated").optional().describe("Shadow a side-effecting method: hanzod runs it against throwaway state"),
    compare: compareRulesSchema.optional(),
  })
  .strict();

export const entrySchema = z.union([routeSchema, routeEntrySchema]);

export const phaseNames = ["phase1", "phase2", "phase3", "phase4", "later"] as const;

export const gatesSchema = z
  .object({
    minShadowCalls: z.number().int().nonnegative().optional(),
    minMatchRate: z.number().min(0).max(1).optional(),
    maxP99Ratio: z.number().positive().optional(),
    requireContractReplay: z.boolean().optional(),
  })
  .catchall(z.unknown())
  .describe("Promotion gates (consumed by hanzonode parity)");

export const shadowSettingsSchema = z
  .object({
    queueSize: z.number().int().positive().max(1_000_000).default(1000).describe("Bounded shadow queue; full = drop and count"),
    noiseSampleRate: z.number().min(0).max(1).default(0.05).describe("Share of shadowed read calls sent to legacy twice to learn noise"),
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
    shadow: shadowSettingsSchema.default({ queueSize: 1000, noiseSampleRate: 0.05 }),
  })
  .strict();

export type Route = z.infer<typeof routeSchema>;
export type RouteEntry = z.infer<typeof routeEntrySchema>;
export type ChecklistEntry = z.infer<typeof entrySchema>;
export type CompareRules = z.infer<typeof compareRulesSchema>;
export type Checklist = z.infer<typeof checklistSchema>;
export type ChecklistInput = z.input<typeof checklistSchema>;
export type PhaseName = (typeof phaseNames)[number];
