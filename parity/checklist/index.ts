/** The parity checklist: schema, loader, compiled routing table, watcher, edits and audit log. */
export * from "./schema.js";
export { ChecklistError, type ChecklistIssue } from "./errors.js";
export { RoutingTable, isGlob, MEMO_MAX_CHARS, MEMO_MAX_ENTRIES, MEMO_MAX_NAME_CHARS, type RouteDecision, type RouteKind } from "./table.js";
export { parseChecklist, loadChecklist, loadChecklistSync, allLegacyTable } from "./load.js";
export { watchChecklist, type ChecklistWatcher, type WatchHandlers } from "./watch.js";
export { setRoute, setOwner, editText, routePath, routeChange, type EditActor, type EditResult } from "./edit.js";
export { appendAudit, readAudit, auditPath, AUDIT_FILE, type AuditEntry } from "./audit.js";
export { checklistJsonSchema } from "./json-schema.js";
