/**
 * `mentions.list` / `mentions.dismiss` the way 2026.9.6 answers them (dist `server-methods/mentions`,
 * `mention-inbox`), for what hanzod reproduces exactly: the Inbox of the calling connection's person
 * while the legacy's store retains no mention.
 *
 * The legacy's order: a connection that is not a reading operator, or has no verified profile, is
 * refused (FORBIDDEN, its texts); otherwise the view is the person's retained mentions, newest first,
 * each projected through the session it points at (still there, same session id, visible to the
 * person under the session-sharing rules) with its title and the sender's current label and avatar.
 * `revision` counts changes of that view per connection (0 for its first); `gatewayInstanceId` is the
 * runtime's boot id (hello-ok's `server.bootId`). `mentions.dismiss` removes ids of the person's own view
 * (unknown ids are ignored) and answers the view; with nothing to remove and nothing expired it writes
 * nothing.
 *
 * Refused (UNAVAILABLE, naming the reason), never answered differently:
 *  - any retained mention in the store: projecting one needs the session-sharing target resolution,
 *    session titles, profile display resolution and merges (not ported), and a dismissal is a write;
 *  - `mentions.dismiss` while the store holds any source row: the legacy's dismissal runs its expiry and
 *    profile reconciliation inside a state write transaction, which may write;
 *  - `gateway.roles` in the config (operator role policies decide who may read), a config hanzod cannot
 *    parse, `$include` / `${ENV}`.
 * A store the legacy would refuse to load gets the legacy's own "unavailable" answer.
 */
import { isRecord, errorShape, type ErrorShape } from "../../../protocol/index.js";
import { declined, MethodError, type CallerInfo } from "../../core/method.js";
import { readConfigFile } from "../../state/config-snapshot.js";
import { InvalidMentionStore, MentionStoreReader, type MentionStoreSnapshot } from "../../state/mentions.js";

export class MentionsState {
  readonly store: MentionStoreReader;

  constructor(
    stateDbPath: string,
    private readonly configPath: string,
  ) {
    this.store = new MentionStoreReader(stateDbPath);
  }

  readConfig(): ReturnType<typeof readConfigFile> {
    return readConfigFile(this.configPath);
  }
}

const READ_SCOPES = new Set(["operator.read", "operator.write", "operator.admin"]);

/** The legacy's answer for a store it cannot load (or save): retryable. */
const INBOX_UNAVAILABLE: ErrorShape = errorShape("UNAVAILABLE", "The mention Inbox is unavailable. Reconnect to retry.", undefined, { retryable: true });

function unavailable(method: string, what: string): MethodError {
  return declined(`hanzod does not serve ${method} ${what} yet; route this call to the legacy gateway`);
}

function needsResolution(v: unknown): boolean {
  if (typeof v === "string") return v.includes("${");
  if (Array.isArray(v)) return v.some(needsResolution);
  if (isRecord(v)) return Object.entries(v).some(([k, x]) => k === "$include" || needsResolution(x));
  return false;
}

/** The legacy's `identify`: a reading operator with a verified profile. */
function requester(caller: CallerInfo): string {
  if (caller.role !== "operator" || !caller.scopes.some((s) => READ_SCOPES.has(s))) throw new MethodError(errorShape("FORBIDDEN", "Human mentions require a signed-in operator."));
  if (caller.profileId === undefined) throw new MethodError(errorShape("FORBIDDEN", "Human mentions require a verified user profile. Sign in to use mentions."));
  return caller.profileId;
}

function checkConfig(state: MentionsState, method: string): void {
  const file = state.readConfig();
  if (file.kind === "missing") return;
  if (file.kind === "invalid") throw unavailable(method, "while the config file cannot be parsed (the legacy keeps its last good config)");
  const cfg = isRecord(file.parsed) ? file.parsed : {};
  if (needsResolution(cfg)) throw unavailable(method, "for a config with $include or ${ENV} references");
  if (isRecord(cfg.gateway) && cfg.gateway.roles !== undefined) throw unavailable(method, 'with "gateway.roles" configured (operator role policies)');
}

function readStore(state: MentionsState): MentionStoreSnapshot | undefined {
  try {
    return state.store.read();
  } catch (err) {
    if (err instanceof InvalidMentionStore) throw new MethodError(INBOX_UNAVAILABLE);
    throw err;
  }
}

function view(bootId: string): Record<string, unknown> {
  // Nothing retained, so the person's view is empty: its first reading on a connection is revision 0,
  // and an empty view stays the same view (the legacy bumps the revision only when the view changes).
  return { gatewayInstanceId: bootId, revision: 0, items: [] };
}

export function mentionsList(state: MentionsState, bootId: string, caller: CallerInfo): Record<string, unknown> {
  requester(caller);
  checkConfig(state, "mentions.list");
  const store = readStore(state);
  if (store && store.retainedItems > 0) throw unavailable("mentions.list", "while the legacy's Inbox retains mentions (their projection through sessions and profiles)");
  return view(bootId);
}

export function mentionsDismiss(state: MentionsState, bootId: string, caller: CallerInfo): Record<string, unknown> {
  requester(caller);
  checkConfig(state, "mentions.dismiss");
  const store = readStore(state);
  if (store && store.sources.length > 0) throw unavailable("mentions.dismiss", "while the legacy's Inbox holds mention records (a dismissal is the legacy's write)");
  return view(bootId);
}
