/** A checklist that cannot be used, with every problem located in the file. */
export interface ChecklistIssue {
  /** 1-based line in the YAML file (0 when the problem has no place, e.g. an unreadable file). */
  line: number;
  /** Dotted path inside the document, e.g. `methods.status.route`. */
  path: string;
  message: string;
}

export class ChecklistError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ChecklistIssue[],
  ) {
    super(issues.map((i) => `${file}${i.line > 0 ? `:${i.line}` : ""}: ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n"));
    this.name = "ChecklistError";
  }
}
