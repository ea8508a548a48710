/**
 * hanzod's reading of the legacy's mention Inbox rows (`config_machine_state`, 2026.9.6 format), without
 * a legacy: an empty store, tombstones only, a retained mention (refused: hanzod does not project one),
 * and rows the legacy itself would refuse to load (the legacy's own "unavailable" answer). The rows are
 * written into a scratch database in the layout the legacy's store code writes (dist `mention-inbox-store`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { MethodError, type CallerInfo } from "../core/method.js";
import { MentionsState, mentionsDismiss, mentionsList } from "../domains/mentions/inbox.js";
import { MENTION_RETENTION_MS } from "../state/mentions.js";

const dir = mkdtempSync(join(tmpdir(), "hanzod-mentions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const person: CallerInfo = { connId: "c", role: "operator", scopes: ["operator.read"], profileId: "gateway-owner" };
const KEY = "a".repeat(64);
let n = 0;

function store(rows: Record<string, unknown>, config?: unknown): MentionsState {
  const file = join(dir, `state-${++n}.sqlite`);
  const db = openSqlite(file);
  db.exec("CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL)");
  for (const [k, v] of Object.entries(rows)) db.prepare("INSERT INTO config_machine_state VALUES (?, ?, ?)").run(k, typeof v === "string" ? v : JSON.stringify(v), 1);
  db.close();
  const configPath = join(dir, `openclaw-${n}.json`);
  if (config !== undefined) writeFileSync(configPath, JSON.stringify(config));
  return new MentionsState(file, configPath);
}

function refusal(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    if (err instanceof MethodError) return err.shape;
    throw err;
  }
  throw new Error("not refused");
}

const message = (createdAt: number) => ({ sessionId: "s1", content: { senderProfileId: "alice", sessionKey: "agent:main:main", agentId: "main", messageId: "m1", createdAt } });

describe("the mention Inbox rows, read as the legacy loads them", () => {
  it("no rows, or only a head: the person's empty view (revision 0, this runtime's instance id)", () => {
    for (const s of [store({}), store({ "notifications.mentions.head": { revision: 3, nextSequence: 2 } })]) {
      expect(mentionsList(s, "boot-1", person)).toEqual({ gatewayInstanceId: "boot-1", revision: 0, items: [] });
      s.store.close();
    }
  });

  it("a source whose recipients all dismissed it is listed as nothing; a dismissal there is the legacy's (it may write)", () => {
    const createdAt = Date.now();
    const s = store({
      "notifications.mentions.head": { revision: 2, nextSequence: 1 },
      [`notifications.mentions.source.${KEY}`]: { key: KEY, sequence: 0, expiresAt: createdAt + MENTION_RETENTION_MS, recipients: [["gateway-owner", null]], message: message(createdAt) },
    });
    expect(mentionsList(s, "b", person)).toEqual({ gatewayInstanceId: "b", revision: 0, items: [] });
    expect(refusal(() => mentionsDismiss(s, "b", person))).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/mentions\.dismiss.*legacy/) });
  });

  it("a retained mention: refused by name, never listed as an empty Inbox", () => {
    const createdAt = Date.now();
    const s = store({
      "notifications.mentions.head": { revision: 1, nextSequence: 1 },
      [`notifications.mentions.source.${KEY}`]: { key: KEY, sequence: 0, expiresAt: createdAt + MENTION_RETENTION_MS, recipients: [["gateway-owner", "item-1"]], message: message(createdAt) },
    });
    expect(refusal(() => mentionsList(s, "b", person))).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/retains mentions/) });
  });

  it("rows the legacy would refuse to load get its own retryable 'unavailable'", () => {
    const createdAt = Date.now();
    const good = { key: KEY, sequence: 0, expiresAt: createdAt + MENTION_RETENTION_MS, recipients: [["gateway-owner", null]], message: message(createdAt) };
    const bad: Record<string, unknown>[] = [
      { "notifications.mentions.head": "{not json" },
      // a sequence at or past the head's nextSequence
      { "notifications.mentions.head": { revision: 1, nextSequence: 0 }, [`notifications.mentions.source.${KEY}`]: good },
      // a key that is not its row's
      { "notifications.mentions.head": { revision: 1, nextSequence: 1 }, [`notifications.mentions.source.${"b".repeat(64)}`]: good },
      // a retention window other than 7 days from the message
      { "notifications.mentions.head": { revision: 1, nextSequence: 1 }, [`notifications.mentions.source.${KEY}`]: { ...good, expiresAt: createdAt + 1 } },
      // a retained item without its message
      { "notifications.mentions.head": { revision: 1, nextSequence: 1 }, [`notifications.mentions.source.${KEY}`]: { key: KEY, sequence: 0, expiresAt: 5, recipients: [["gateway-owner", "i"]] } },
    ];
    for (const rows of bad) {
      expect(refusal(() => mentionsList(store(rows), "b", person)), JSON.stringify(rows)).toEqual({ code: "UNAVAILABLE", message: "The mention Inbox is unavailable. Reconnect to retry.", retryable: true });
    }
  });

  it("who may read: a reading operator with a person, in the legacy's words; operator roles are not ported", () => {
    const s = store({});
    expect(refusal(() => mentionsList(s, "b", { ...person, profileId: undefined }))).toEqual({ code: "FORBIDDEN", message: "Human mentions require a verified user profile. Sign in to use mentions." });
    expect(refusal(() => mentionsList(s, "b", { ...person, role: "node" }))).toEqual({ code: "FORBIDDEN", message: "Human mentions require a signed-in operator." });
    const roles = store({}, { gateway: { roles: { viewer: { scopes: ["operator.read"] } } } });
    expect(refusal(() => mentionsList(roles, "b", person))).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/gateway\.roles/) });
  });
});
