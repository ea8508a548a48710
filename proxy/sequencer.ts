/**
 * One monotonic event `seq` per client connection over several upstream streams. Each upstream keeps
 * its own counter; a jump in an upstream's numbering (a slow-consumer drop) is kept as the same jump in
 * the client's numbering, so clients still detect gaps and resync.
 */
export class EventSequencer<K extends string> {
  private out = 0;
  private readonly lastIn = new Map<K, number>();

  /** The client-facing seq for an event the proxy delivers. */
  deliver(source: K, seq: number): number {
    const gap = seq - (this.lastIn.get(source) ?? 0);
    this.lastIn.set(source, seq);
    this.out += gap > 0 ? gap : 1;
    return this.out;
  }

  /** An event the proxy drops on purpose (non-owner): not a gap for the client. */
  skip(source: K, seq: number): void {
    this.lastIn.set(source, seq);
  }

  /** A new upstream socket numbers from 1 again. */
  reset(source: K): void {
    this.lastIn.delete(source);
  }
}
