/**
 * The gateway domain: `gateway.restart.preflight|request` and `gateway.suspend.prepare|status|resume|handoff`
 * (handoff from 2026.9.6: the release gates it).
 * The suspend controls pass a closed admission fence (a controller must reach its lease); the one
 * restart a prepared lease lets through is the exact targeted, non-safe one, with nothing else running.
 */
import { defineDomain } from "../../core/method.js";
import { isTargetedNonSafeRestart, restartPreflight, restartRequest, suspendHandoff, suspendPrepare, suspendResume, suspendStatus } from "./lifecycle.js";

export default defineDomain({
  name: "gateway",
  eager: true,
  methods: [
    { name: "gateway.restart.preflight", handler: ({ core }) => restartPreflight(core) },
    {
      name: "gateway.restart.request",
      params: "handler",
      admission: (params, gate) => !gate.restarting && gate.phase === "prepared" && gate.activeWork === 0 && isTargetedNonSafeRestart(params),
      handler: ({ core, params }) => restartRequest(core, params),
    },
    { name: "gateway.suspend.prepare", params: "contract-terse", admission: "control", handler: ({ core, params }) => suspendPrepare(core, params) },
    { name: "gateway.suspend.status", params: "contract-terse", admission: "control", handler: ({ core, params }) => suspendStatus(core, params) },
    { name: "gateway.suspend.resume", params: "contract-terse", admission: "control", handler: ({ core, params }) => suspendResume(core, params) },
    // A host arms it while the suspension it prepared is held: it passes the fence like the other controls.
    { name: "gateway.suspend.handoff", params: "contract-terse", admission: "control", handler: ({ core, params }) => suspendHandoff(core, params) },
  ],
});
