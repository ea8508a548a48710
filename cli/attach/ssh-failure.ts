/** What went wrong with an ssh tunnel, read from the OpenSSH client's own words, and whether to retry. */
export type SshFailureKind = "host-key-changed" | "host-key-unknown" | "auth-refused" | "unreachable" | "remote-port-closed" | "local-port-busy" | "ssh-missing" | "exited";

export interface SshFailure {
  kind: SshFailureKind;
  /** A line for the operator: what failed and what to do about it. */
  message: string;
  /** False when retrying cannot help until a person acts (a key, a known_hosts entry). */
  retry: boolean;
}

export function classifySshFailure(stderr: string, target: string, code: number | null): SshFailure {
  const said = stderr.trim().split("\n").filter((l) => l.trim() && !l.startsWith("@@@") && !l.startsWith("Warning: Permanently")).slice(-2).join(" / ");
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return { kind: "host-key-changed", retry: false, message: `host key changed: ${target} presented a different host key than known_hosts holds. This may be an attack; if the server was really re-keyed, verify the new fingerprint and update known_hosts (ssh-keygen -R), then attach again.` };
  }
  if (/No .* host key is known for|Host key verification failed/i.test(stderr)) {
    return { kind: "host-key-unknown", retry: false, message: `host key unknown: ${target} is not in known_hosts and strict checking is on. Verify its fingerprint and add it (ssh-keyscan, or ssh once interactively), or pass --known-hosts.` };
  }
  if (/Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i.test(stderr)) {
    return { kind: "auth-refused", retry: false, message: `authentication refused by ${target}: ${said}. Check the user, the key (--identity) and the server's authorized_keys.` };
  }
  if (/bind \[?[\d.:]+\]?:\d+: Address already in use|cannot listen to port|Could not request local forwarding/i.test(stderr)) {
    return { kind: "local-port-busy", retry: false, message: `the local port is taken: ${said}. Pass another --local-port.` };
  }
  if (/open failed|connect failed|administratively prohibited/i.test(stderr)) {
    return { kind: "remote-port-closed", retry: true, message: `remote port closed: ${target} accepted the tunnel but nothing listens on the remote gateway port (${said}). Is hanzod running there (hanzod service status)?` };
  }
  if (/Connection refused|Connection timed out|No route to host|Network is unreachable|Could not resolve hostname|Connection closed by|Connection reset|kex_exchange_identification|Broken pipe|Timeout, server/i.test(stderr)) {
    return { kind: "unreachable", retry: true, message: `unreachable: ${said}` };
  }
  if (code === 127) return { kind: "ssh-missing", retry: false, message: "the ssh client is not installed (apt-get install openssh-client)" };
  return { kind: "exited", retry: true, message: `ssh exited ${code ?? "on a signal"}${said ? `: ${said}` : ""}` };
}
