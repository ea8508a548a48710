/** One config setting by its path (`["agents", "defaults", "model"]`); undefined where any step is missing. */
export function configAt(cfg: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), cfg);
}
