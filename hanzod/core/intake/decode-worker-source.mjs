// Source runs only (tests, tsx): the intake worker's TypeScript, loaded through tsx's loader in this thread.
import { register } from "tsx/esm/api";
register();
await import("./decode-worker.ts");
