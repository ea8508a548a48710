/**
 * The `node.invoke` commands hanzod still declines, and why. While the legacy owns node connections a decline
 * costs nothing (the proxy hands the call to the legacy, which holds the node); once hanzod owns them the legacy
 * cannot reach the node, so each of these would fail for every operator and agent. The node handler declines
 * from this list, and the owner gate and the cutover check read it (through hanzod/registry.ts): serving a
 * command means taking it off here. No imports, so tools read it without loading the domain.
 */
export const DECLINED_NODE_COMMANDS: ReadonlyMap<string, string> = new Map<string, string>([
  // system.run and system.run.prepare are served (domains/nodes/system-run.ts); a system.run with approval
  // flags needs the approvals domain's binder, else it is declined per call.
]);
