/** Small number formatters shared by the terminal and HTML renderers. */
export function pct(rate: number | null, digits = 2): string {
  if (rate === null) return "-";
  // 99.95..99.999 would round to 100.00; never show a perfect score that is not one.
  if (rate < 1 && rate * 100 > 100 - Math.pow(10, -digits)) return `${(100 - Math.pow(10, -digits)).toFixed(digits)}%`;
  return `${(rate * 100).toFixed(digits)}%`;
}

export function ms(v: number | null): string {
  if (v === null) return "-";
  if (v >= 1000) return `${(v / 1000).toFixed(1)}s`;
  if (v >= 100) return v.toFixed(0);
  // Sub-millisecond answers are common (a cached health): keep their digits.
  if (Math.abs(v) < 0.1) return v.toFixed(3);
  if (Math.abs(v) < 1) return v.toFixed(2);
  return v.toFixed(1);
}

export function pair(a: number | null, b: number | null): string {
  return a === null && b === null ? "-" : `${ms(a)}/${ms(b)}`;
}

/** Cuts to `width` columns, marking the cut with "~" (plain ASCII keeps column counting exact). */
export function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}
