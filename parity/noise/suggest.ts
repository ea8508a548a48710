/** Learned noise as suggested checklist rules (YAML to paste under `methods:`), each path with its rate. */
import { Document, isMap, isSeq, type Scalar } from "yaml";
import type { NoiseModel } from "./model.js";

export function suggestedRulesYaml(model: NoiseModel, header: string[]): string {
  const methods: Record<string, { compare: { ignore: string[] } }> = {};
  const notes = new Map<string, string>();
  for (const method of model.methods()) {
    const learned = model.learned(method);
    if (learned.paths.length === 0) continue;
    methods[method] = { compare: { ignore: learned.paths.map((p) => p.path || "/") } };
    for (const p of learned.paths) notes.set(`${method}\u0000${p.path || "/"}`, `${p.kinds.join("/")} in ${Math.round(p.rate * 100)}% of ${learned.probes} pairs`);
  }
  const doc = new Document({ methods });
  doc.commentBefore = header.map((l) => ` ${l}`).join("\n");
  const root = doc.get("methods", true);
  if (isMap(root)) {
    for (const item of root.items) {
      const method = String((item.key as Scalar).value);
      const seq = doc.getIn(["methods", method, "compare", "ignore"], true);
      if (!isSeq(seq)) continue;
      for (const node of seq.items) {
        const note = notes.get(`${method}\u0000${String((node as Scalar).value)}`);
        if (note) (node as Scalar).comment = ` ${note}`;
      }
    }
  }
  if (Object.keys(methods).length === 0) return `${header.map((l) => `# ${l}`).join("\n")}\n# no noise learned (need >= ${model.thresholds.minProbes} pairs per method and a path differing in >= ${model.thresholds.minNoiseRate * 100}% of them)\nmethods: {}\n`;
  return doc.toString({ lineWidth: 0 });
}
