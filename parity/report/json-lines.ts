/**
 * Pretty-prints JSON as lines that know their JSON pointer, so the HTML side-by-side view can mark
 * exactly the lines where the two answers differ.
 */
import { escapePointerSegment } from "../../protocol/json-pointer.js";

export interface JsonLine {
  text: string;
  pointer: string;
}

const esc = escapePointerSegment;

export function jsonLines(value: unknown, maxLines = 400): JsonLine[] {
  const out: JsonLine[] = [];
  const emit = (text: string, pointer: string): boolean => {
    if (out.length >= maxLines) return false;
    out.push({ text, pointer });
    return true;
  };
  const walk = (v: unknown, pointer: string, indent: string, prefix: string, comma: string): void => {
    if (out.length >= maxLines) return;
    if (v !== null && typeof v === "object") {
      const isArray = Array.isArray(v);
      const entries: Array<[string, unknown]> = isArray ? (v as unknown[]).map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
      const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
      if (entries.length === 0) {
        emit(`${indent}${prefix}${open}${close}${comma}`, pointer);
        return;
      }
      emit(`${indent}${prefix}${open}`, pointer);
      entries.forEach(([k, x], i) => walk(x, `${pointer}/${esc(k)}`, indent + "  ", isArray ? "" : `${JSON.stringify(k)}: `, i < entries.length - 1 ? "," : ""));
      emit(`${indent}${close}${comma}`, pointer);
      return;
    }
    emit(`${indent}${prefix}${v === undefined ? "undefined" : JSON.stringify(v)}${comma}`, pointer);
  };
  walk(value, "", "", "", "");
  if (out.length >= maxLines) out.push({ text: "… (cut)", pointer: "" });
  return out;
}
