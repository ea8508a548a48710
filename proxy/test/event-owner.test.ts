/** Which backend's copy of an event a connection gets before it called anything of the event's family. */
import { describe, expect, it } from "vitest";
import { parseChecklist } from "../../parity/checklist/index.js";
import type { RoutingProfile } from "../identity.js";
import { familyOf, routedEventOwner } from "../routing.js";

const profile: RoutingProfile = { nodeSession: false, bucket: 0 };
const table = (authOwner: string) => parseChecklist(["version: 1", `authOwner: ${authOwner}`, "default: legacy"].join("\n"), "c.yaml");

describe("event owners", () => {
  it("device.pair.* events come from the auth owner, which makes the requests when devices connect", () => {
    for (const event of ["device.pair.requested", "device.pair.resolved"]) {
      expect(routedEventOwner(table("hanzod"), event, "hanzod", profile)).toBe("hanzod");
      expect(routedEventOwner(table("legacy"), event, "legacy", profile)).toBe("legacy");
    }
  });

  it("device.pair is a family of its own, apart from token rotation", () => {
    expect(familyOf("device.pair.requested")).toBe("device.pair");
    expect(familyOf("device.pair.approve")).toBe("device.pair");
    expect(familyOf("device.token.rotate")).toBe("device");
    expect(familyOf("session.message")).toBe("sessions");
  });
});
