/**
 * The comparison rules the sink uses: the comparator's defaults plus each method's `compare:` rules
 * from the checklist (wherever they come from: exact entry, glob, phase). Built once per table.
 */
import { DEFAULT_RULES, mergeRules, type NormalizationRules, type RuleSet } from "../compare/index.js";
import type { RoutingTable } from "../checklist/index.js";
import { CONTRACT_METHOD_NAMES } from "../../protocol/index.js";

const cache = new WeakMap<RoutingTable, RuleSet>();

export function ruleSetFromTable(table: RoutingTable | undefined, base: RuleSet = DEFAULT_RULES): RuleSet {
  if (!table) return base;
  const hit = base === DEFAULT_RULES ? cache.get(table) : undefined;
  if (hit) return hit;
  const methods: Record<string, NormalizationRules> = { ...base.methods };
  for (const m of new Set([...CONTRACT_METHOD_NAMES, ...Object.keys(table.checklist.methods)])) {
    const compare = table.decide(m).compare;
    if (!compare) continue;
    methods[m] = methods[m] ? mergeRules(methods[m], compare) : compare;
  }
  const set: RuleSet = { global: base.global, methods, events: base.events ?? {} };
  if (base === DEFAULT_RULES) cache.set(table, set);
  return set;
}
