/** Row types of the generated method table (kept apart so the generated file only imports types). */
export type OperatorScope =
  | "operator.read"
  | "operator.write"
  | "operator.admin"
  | "operator.approvals"
  | "operator.questions"
  | "operator.pairing"
  | "operator.talk"
  | "operator.talk.secrets"
  | "operator.sessions.read"
  | "operator.sessions.write";

/** `dynamic` methods compute their scope from params; `node` methods need role `node`. */
export type MethodScope = OperatorScope | "dynamic" | "node";

export type MigrationPhase = "phase1" | "phase2" | "phase3" | "phase4" | "later";

export interface MethodTableRow {
  readonly scope: MethodScope;
  readonly since: string;
  readonly phase: MigrationPhase;
}
