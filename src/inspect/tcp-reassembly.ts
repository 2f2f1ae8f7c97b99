// One direction of a TCP connection turned back into the byte stream the sender wrote: sequence numbers with
// wraparound, out-of-order segments held (bounded), retransmissions and overlaps trimmed, holes reported as gaps.

export interface StreamConsumer {
  data(chunk: Buffer): void;
  /** `bytes` of the stream were never captured; what follows is not contiguous with what came before. */
  gap(bytes: number): void;
  end(): void;
}

export interface ReassemblyLimits {
  /** Out-of-order bytes held while waiting for a hole to fill before the hole is declared a gap. */
  maxPendingBytes: number;
  maxPendingSegments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = { maxPendingBytes: 8 << 20, maxPendingSegments: 4096 };

/** Signed distance a - b on the 32-bit sequence circle. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

interface Pending {
  seq: number;
  data: Buffer;
}

export class TcpDirection {
  private next: number | undefined;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private finSeq: number | undefined;
  private ended = false;
  /** Bytes reported as gaps so far. */
  gapBytes = 0;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** The SYN occupies one sequence number; data starts after it. */
  syn(seq: number): void {
    if (this.next === undefined) this.next = (seq + 1) >>> 0;
  }

  segment(seq: number, payload: Buffer, fin: boolean): void {
    if (this.ended) return;
    // A capture that starts mid-connection begins the stream at the first segment seen.
    if (this.next === undefined) this.next = seq;
    if (fin) this.finSeq = (seq + payload.length) >>> 0;
    if (payload.length > 0) {
      const rel = seqDiff(seq, this.next);
      if (rel <= 0) {
        if (rel + payload.length > 0) this.deliver(payload.subarray(-rel));
        // else: a pure retransmission of bytes already delivered.
        this.drain();
      } else {
        this.hold(seq, payload);
      }
    }
    this.checkFin();
  }

  /**
   * The peer acknowledged `ack`: if it got bytes the capture never saw while later bytes wait here,
   * that hole will never be filled, so it is a gap now rather than at the end.
   */
  peerAck(ack: number): void {
    if (this.ended || this.next === undefined || this.pending.length === 0) return;
    const missing = seqDiff(ack, this.next);
    if (missing <= 0) return;
    const first = this.pending[0]!;
    this.skipTo(seqDiff(first.seq, ack) <= 0 ? first.seq : ack);
    this.drain();
    this.checkFin();
  }

  /** Connection over (RST or end of capture): whatever is held goes out with gaps between. */
  close(): void {
    if (this.ended) return;
    while (this.pending.length > 0) {
      this.skipTo(this.pending[0]!.seq);
      this.drain();
    }
    if (this.finSeq !== undefined && this.next !== undefined && seqDiff(this.finSeq, this.next) > 0) {
      this.reportGap(seqDiff(this.finSeq, this.next));
    }
    this.ended = true;
    this.consumer.end();
  }

  private deliver(chunk: Buffer): void {
    this.next = ((this.next ?? 0) + chunk.length) >>> 0;
    this.consumer.data(chunk);
  }

  private reportGap(bytes: number): void {
    this.gapBytes += bytes;
    this.consumer.gap(bytes);
  }

  private skipTo(seq: number): void {
    const missing = seqDiff(seq, this.next!);
    if (missing > 0) {
      this.reportGap(missing);
      this.next = seq;
    }
  }

  private hold(seq: number, data: Buffer): void {
    const rel = seqDiff(seq, this.next!);
    let i = this.pending.length;
    while (i > 0 && seqDiff(this.pending[i - 1]!.seq, this.next!) > rel) i--;
    // A retransmitted out-of-order segment: keep the longer copy only.
    const same = this.pending[i - 1];
    if (same && same.seq === seq) {
      if (same.data.length >= data.length) return;
      this.pendingBytes -= same.data.length;
      this.pending.splice(i - 1, 1);
      i--;
    }
    this.pending.splice(i, 0, { seq, data });
    this.pendingBytes += data.length;
    while (
      this.pending.length > 0 &&
      (this.pendingBytes > this.limits.maxPendingBytes || this.pending.length > this.limits.maxPendingSegments)
    ) {
      // Waited long enough: the hole before the first held segment was lost.
      this.skipTo(this.pending[0]!.seq);
      this.drain();
    }
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      const rel = seqDiff(p.seq, this.next!);
      if (rel > 0) return;
      this.pending.shift();
      this.pendingBytes -= p.data.length;
      if (rel + p.data.length > 0) this.deliver(p.data.subarray(-rel));
    }
  }

  private checkFin(): void {
    if (this.finSeq !== undefined && this.pending.length === 0 && this.next === this.finSeq && !this.ended) {
      this.ended = true;
      this.consumer.end();
    }
  }
}
