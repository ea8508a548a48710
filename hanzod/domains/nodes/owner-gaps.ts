/**
 * What would stop working if hanzod owned the node connections (`nodeOwner: hanzod`), and why. While the legacy
 * owns them a gap costs nothing (hanzod declines, the proxy hands the call to the legacy, which holds the node);
 * once hanzod owns them the legacy cannot reach the node, so each gap fails for every operator or agent that
 * needs it. The node handler declines from DECLINED_NODE_COMMANDS; the owner gate and the cutover check read
 * NODE_OWNER_GAPS (through hanzod/registry.ts): closing a gap means taking it off here. No imports, so tools read
 * it without loading the domain.
 */

/** `node.invoke` commands hanzod declines outright. */
export const DECLINED_NODE_COMMANDS: ReadonlyMap<string, string> = new Map<string, string>([
  // system.run and system.run.prepare are served (domains/nodes/system-run.ts); the cases of them hanzod still
  // declines per call are listed below.
]);

/** Paths through a node that hanzod cannot serve although it serves the command. */
const PARTIAL_PATHS: ReadonlyArray<readonly [string, string]> = [
  ["system.run notifying an agent session", "with tools.exec.notifyOnExit (the default) the legacy queues the node's exec.finished as a system event into the agent session and wakes it; hanzod has no way into that queue, so it declines a run without suppressNotifyOnExit"],
  ["system.run of a shell wrapper's inline command", "a rawCommand that differs from the argv's text goes through the legacy's shell parser, which hanzod does not have; declined per call"],
  ["the legacy's agents' exec on a node", "the legacy's exec tool reaches nodes only through its own in-process node registry, so its agent turns cannot run a command on a node hanzod holds (issue 12, stage 2: tool turns in hanzod)"],
  ["exec.approvals.node.get|set", "answered by the node through the node owner's live registry; hanzod does not serve them"],
];

/** Everything the nodes owner gate and the cutover check count: the declined commands and the partial paths. */
export const NODE_OWNER_GAPS: ReadonlyMap<string, string> = new Map<string, string>([
  ...[...DECLINED_NODE_COMMANDS].map(([command, why]) => [`node.invoke ${command}`, why] as [string, string]),
  ...PARTIAL_PATHS.map(([path, why]) => [path, why] as [string, string]),
]);
