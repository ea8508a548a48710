/**
 * An agent's workspace bootstrap files read the way 2026.9.x's `agents.files.list` / `agents.files.get`
 * read them (dist agents-files handlers over `@openclaw/fs-safe` `root()`), for the cases hanzod has
 * compared with the real legacy; anything else is reported as `unknown` so the caller refuses.
 *
 * Never outside the workspace: a file is one fixed name (no separators, from the allow list) directly
 * under a workspace directory whose real path is its own path (no symlinked workspace, no symlinked
 * ancestor), and it is opened with O_NOFOLLOW and checked to be the very inode first inspected. A symlink
 * is followed only for the listing's metadata, and only when its real target lies inside the workspace
 * (the legacy's `root.stat`); its content is never read (the legacy refuses it as unsafe).
 */
import { constants, closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join, normalize, resolve, sep } from "node:path";

/** `WORKSPACE_BOOTSTRAP_FILENAMES` in prompt order (both releases). */
export const BOOTSTRAP_FILE_NAMES = ["AGENTS.md", "SOUL.md", "IDENTITY.md", "USER.md", "BOOTSTRAP.md", "MEMORY.md"] as const;
/** What `agents.files.list` lists: all but IDENTITY.md, and BOOTSTRAP.md only until setup completed. */
export function listedFileNames(setupCompleted: boolean): string[] {
  return BOOTSTRAP_FILE_NAMES.filter((n) => n !== "IDENTITY.md" && (!setupCompleted || n !== "BOOTSTRAP.md"));
}
const ALLOWED: ReadonlySet<string> = new Set(BOOTSTRAP_FILE_NAMES);
export function isAllowedFileName(name: string): boolean {
  return ALLOWED.has(name);
}
/** `isExpectedAbsentBootstrapFile`: the optional profile files and MEMORY.md. */
export function isExpectedAbsent(name: string): boolean {
  return name === "SOUL.md" || name === "IDENTITY.md" || name === "USER.md" || name === "MEMORY.md";
}

/** Larger files are not compared (the legacy's own cap is fs-safe's read budget, which differs per release). */
const MAX_COMPARED_BYTES = 2 * 1024 * 1024;

export type WorkspaceFileMeta = { kind: "present"; size: number; updatedAtMs: number } | { kind: "missing" } | { kind: "unknown"; why: string };
export type WorkspaceFileRead = { kind: "present"; size: number; updatedAtMs: number; content: Buffer } | { kind: "missing" } | { kind: "unsafe" } | { kind: "unknown"; why: string };

function errCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * The workspace directory if hanzod can read it as the legacy does: "missing" when nothing is there yet
 * (the legacy answers every file missing; it creates nothing on these reads), the path when it is a real
 * directory reached without symlinks, else a reason to refuse.
 */
export function workspaceDirState(workspaceDir: string): "missing" | "directory" | { why: string } {
  if (resolve(workspaceDir) !== workspaceDir || normalize(workspaceDir).normalize("NFC") !== workspaceDir) return { why: "a workspace path that is not absolute and normalized" };
  // The nearest existing ancestor must be its own real path (the legacy keys workspace state by the real path).
  let probe = workspaceDir;
  for (;;) {
    try {
      if (realpathSync.native(probe) !== probe) return { why: "a workspace reached through a symlink" };
      break;
    } catch (e) {
      if (errCode(e) !== "ENOENT") return { why: "a workspace path that cannot be resolved" };
      const parent = dirname(probe);
      if (parent === probe) break;
      probe = parent;
    }
  }
  if (probe !== workspaceDir) return "missing";
  return statSync(workspaceDir).isDirectory() ? "directory" : { why: "a workspace path that is not a directory" };
}

function metaOf(st: Stats): WorkspaceFileMeta {
  // `isRegularWorkspaceFileStat`: a regular file with one link; anything else is listed missing.
  if (!st.isFile() || st.nlink > 1) return { kind: "missing" };
  return { kind: "present", size: st.size, updatedAtMs: Math.floor(st.mtimeMs) };
}

/** One listed file's metadata (`statWorkspaceFileSafely`): the workspace must be a "directory" (workspaceDirState). */
export function statWorkspaceFile(workspaceDir: string, name: string): WorkspaceFileMeta {
  if (basename(name) !== name || !ALLOWED.has(name)) return { kind: "unknown", why: "a file name outside the allow list" };
  const path = join(workspaceDir, name);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = errCode(e);
    return code === "ENOENT" || code === "ENOTDIR" ? { kind: "missing" } : { kind: "unknown", why: `a workspace file that cannot be inspected (${code ?? "error"})` };
  }
  if (!st.isSymbolicLink()) return metaOf(st);
  // A symlink: the legacy's root.stat follows it when its real target stays inside the workspace, else lists it missing.
  let target: string;
  try {
    target = realpathSync.native(path);
  } catch {
    return { kind: "missing" };
  }
  if (!target.startsWith(workspaceDir + sep)) return { kind: "missing" };
  try {
    return metaOf(statSync(target));
  } catch {
    return { kind: "missing" };
  }
}

/** One file's content (`root(workspaceDir).read(name, {hardlinks: "reject"})`); the workspace must not be refused by workspaceDirState. */
export function readWorkspaceFile(workspaceDir: string, name: string, dir: "missing" | "directory"): WorkspaceFileRead {
  if (basename(name) !== name || !ALLOWED.has(name)) return { kind: "unknown", why: "a file name outside the allow list" };
  if (dir === "missing") return { kind: "missing" };
  const path = join(workspaceDir, name);
  let first: Stats;
  try {
    first = lstatSync(path);
  } catch (e) {
    const code = errCode(e);
    return code === "ENOENT" ? { kind: "missing" } : { kind: "unknown", why: `a workspace file that cannot be inspected (${code ?? "error"})` };
  }
  // fs-safe refuses symlinks (wherever they point), directories and hard-linked files: "unsafe workspace file".
  if (first.isSymbolicLink() || first.isDirectory() || (first.isFile() && first.nlink > 1)) return { kind: "unsafe" };
  if (!first.isFile()) return { kind: "unknown", why: "a workspace file that is not a regular file" };
  if (first.size > MAX_COMPARED_BYTES) return { kind: "unknown", why: `a workspace file larger than ${MAX_COMPARED_BYTES} bytes` };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { kind: "unknown", why: `a workspace file that changed while read (${errCode(e) ?? "error"})` };
  }
  try {
    // The final component cannot be a symlink (O_NOFOLLOW); the opened file must also still sit in this very
    // directory (a workspace swapped for a symlink between the check and the open would lead elsewhere).
    if (openedPath(fd) !== path) return { kind: "unknown", why: "a workspace that changed while read" };
    const st = fstatSync(fd);
    if (st.dev !== first.dev || st.ino !== first.ino || !st.isFile() || st.nlink > 1 || st.size > MAX_COMPARED_BYTES) return { kind: "unknown", why: "a workspace file that changed while read" };
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    const after = fstatSync(fd);
    if (off !== st.size || after.size !== st.size || after.mtimeMs !== st.mtimeMs) return { kind: "unknown", why: "a workspace file that changed while read" };
    return { kind: "present", size: st.size, updatedAtMs: Math.floor(st.mtimeMs), content: buf };
  } finally {
    closeSync(fd);
  }
}

/** Where an open descriptor really is (Linux /proc); undefined elsewhere, and hanzod then refuses the read. */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** The workspace's key in the legacy's state database (`createWorkspaceStateIdentity`: sha256 of its path). */
export function workspaceStateKey(workspaceDir: string): string {
  return createHash("sha256").update(workspaceDir).digest("hex");
}
