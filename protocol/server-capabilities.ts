/**
 * hello-ok's `features.capabilities`: each one is an additive contract of one method (a client checks it
 * before relying on the newer behaviour, e.g. the CLI's targeted restart asks for
 * `gateway-restart-target-safe-v1`). The method each qualifies, as the legacy's GATEWAY_SERVER_CAPS
 * (2026.9.1) uses them; the proxy lists a capability only when the backend that answers its method
 * on that connection has it.
 */
export const CAPABILITY_METHODS: Readonly<Record<string, string>> = {
  "board-widget-put-canvas-doc": "board.widget.put",
  "chat-send-routing-contract": "chat.send",
  "gateway-restart-target-safe-v1": "gateway.restart.request",
  // Node worker contracts travel on node connections, which go where node.invoke goes.
  "node-worker-bundle-retention-v1": "node.invoke",
  "node-worker-bundle-status-v1": "node.invoke",
  "node-worker-environment-session-v1": "node.invoke",
  "node-worker-portal-stream-v1": "node.invoke",
  "session-scoped-chat-metadata": "chat.metadata",
  "session-unread-ack-contract": "sessions.list",
  "session-goal-start-v1": "sessions.goal.update",
  "session-settings-contract": "sessions.patch",
  "session-settings-cas-v1": "sessions.patch",
  "openclaw-chat-wizard-cancel": "wizard.cancel",
  "openclaw-setup-model-ref": "openclaw.setup.activate",
  "taskSuggestions.acceptModes": "session.suggestions.resolve",
};

/** The method a capability qualifies; an unknown one (a newer release's) stands for itself. */
export function capabilityMethod(capability: string): string {
  return CAPABILITY_METHODS[capability] ?? capability;
}
