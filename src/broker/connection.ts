// One network connection: reads packets through the streaming decoder, dispatches each to its handler, batches
// writes per input chunk, and is the one place that turns a ProtocolError into CONNACK / DISCONNECT and a close.
import { PacketDecoder, encodePacket, summarizePacket } from '../protocol/index.js';
import { ProtocolError } from '../protocol/errors.js';
import { ConnectReturnCode, ReasonCode, VALID_REASON_CODES } from '../protocol/constants.js';
import type { Packet, ProtocolVersion, Will } from '../protocol/packets.js';
import type { Duplex } from 'node:stream';
import type { Link, TimerHandle } from './ports.js';
import type { Broker } from './broker.js';
import type { ClientInfo, DisconnectCause } from './hooks.js';
import type { Session } from './session.js';
import type { PublishTarget } from './encode-publish.js';
import { KeepaliveMonitor } from './keepalive.js';
import { DEFAULT_RECEIVE_MAXIMUM, PROTOCOL_MAX_PACKET_SIZE } from './limits.js';
import { dispatchPacket } from './dispatch.js';
import { OutputPressure } from './output-pressure.js';
import type { QueuePressure } from './queue-pressure.js';

export type ConnectionState = 'awaiting-connect' | 'connecting' | 'connected' | 'closed';

const CLOSE_GRACE_MS = 2000;
/** Above this multiple of the output cap nothing more is written, even for a subscriber that is draining. */
const HARD_CAP_FACTOR = 2;

/** 5.0 CONNACK reason codes mapped to the nearest 3.x return code (absent: close without CONNACK). */
const V3_RETURN_CODE: Readonly<Record<number, number>> = {
  [ReasonCode.UnsupportedProtocolVersion]: ConnectReturnCode.UnacceptableProtocolVersion,
  [ReasonCode.ClientIdentifierNotValid]: ConnectReturnCode.IdentifierRejected,
  [ReasonCode.BadUserNameOrPassword]: ConnectReturnCode.BadUserNameOrPassword,
  [ReasonCode.NotAuthorized]: ConnectReturnCode.NotAuthorized,
  [ReasonCode.ServerUnavailable]: ConnectReturnCode.ServerUnavailable,
  [ReasonCode.ServerBusy]: ConnectReturnCode.ServerUnavailable,
  [ReasonCode.QuotaExceeded]: ConnectReturnCode.ServerUnavailable,
  [ReasonCode.Banned]: ConnectReturnCode.NotAuthorized,
};

export class Connection implements PublishTarget {
  state: ConnectionState = 'awaiting-connect';
  version: ProtocolVersion = 4;
  clientId = '';
  username: string | undefined;
  keepalive = 0;
  connectedAt = 0;
  session: Session | undefined;
  /** The will of this connection, published unless a normal DISCONNECT clears it. */
  will: Will | undefined;
  /** Set once the client sent DISCONNECT (0x04 keeps the will). */
  disconnectCause: DisconnectCause | undefined;

  // Negotiated 5.0 limits of the client side.
  clientReceiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  clientMaxPacketSize = PROTOCOL_MAX_PACKET_SIZE;
  clientTopicAliasMaximum = 0;
  requestProblemInformation = true;
  outgoingAliases: Map<string, number> | undefined;
  incomingAliases: Map<number, string> | undefined;

  readonly decoder: PacketDecoder;
  private keepaliveMonitor: KeepaliveMonitor | undefined;
  private connectTimer: TimerHandle | undefined;
  private corked = false;
  /** The first packet written in this batch, held back so that a lone packet leaves without cork/uncork. */
  private heldOut: Buffer | undefined;
  private clientInfo: ClientInfo | undefined;
  /**
   * Packets decoded but not handled yet, in arrival order: present while an async hook is awaited (a packet must
   * not overtake it) or subscribers hold this publisher back (queue-pressure.ts), until drainWaiting runs.
   */
  private waiting: Packet[] | undefined;
  private hookPending = false;
  /** Reasons reading is paused (async hook, a full subscriber); reading resumes when none is left. */
  private holds = 0;
  /** Present while the output buffer is over the cap (see output-pressure.ts). */
  private pressure: OutputPressure | undefined;
  /** Present while this subscriber's session queue is above high water (queue-pressure.ts; kept by delivery.ts). */
  queuePressure: QueuePressure | undefined;
  /** Subscribers holding this publisher back (queue-pressure.ts). */
  private packetHolds = 0;
  /** Bytes handed to the socket so far. */
  private bytesOut = 0;
  /** Per-connection totals beside the broker-wide stats: plain increments, read by the dashboard once a second. */
  bytesReceived = 0;
  packetsReceived = 0;
  packetsSent = 0;

  constructor(
    readonly link: Link,
    readonly broker: Broker,
  ) {
    this.decoder = new PacketDecoder({ maxPacketSize: broker.limits.maxPacketSize });
    // Shared listener functions find their connection through `owners`: no closures kept per connection.
    const stream = link.stream;
    owners.set(stream, this);
    stream.on('data', onStreamData);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    stream.on('drain', onStreamDrain);
    this.connectTimer = broker.clock.setTimeout(() => this.connectTimedOut(), broker.limits.connectTimeout * 1000);
    this.connectTimer.unref?.();
  }

  /** What hooks see of this client (made once, when the connection is accepted). */
  get info(): ClientInfo {
    return (this.clientInfo ??= {
      clientId: this.clientId,
      username: this.username,
      protocolVersion: this.version,
      link: this.link.info,
      keepalive: this.keepalive,
      connectedAt: this.connectedAt,
    });
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  get bytesSent(): number {
    return this.bytesOut;
  }

  /** Clock ms of the last bytes received, kept by the keepalive monitor (undefined while keepalive is off). */
  get lastReceivedAt(): number | undefined {
    return this.keepaliveMonitor?.lastReceivedAt;
  }

  /** How many outgoing QoS 1/2 PUBLISHes may await acknowledgement [MQTT-3.3.4-9]. */
  get sendWindow(): number {
    return Math.min(this.broker.limits.maxInflight, this.clientReceiveMaximum);
  }

  /** True when the socket already holds more unsent bytes than the per-connection cap. */
  get outputFull(): boolean {
    return this.link.stream.writableLength >= this.broker.limits.maxOutputBuffer;
  }

  // ---- reading -------------------------------------------------------------------------------------------

  received(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.broker.stats.bytesReceived += chunk.length;
    this.bytesReceived += chunk.length;
    this.keepaliveMonitor?.touch();
    batching++;
    try {
      decodeFor(this, chunk);
    } catch (err) {
      this.fail(err);
    } finally {
      // what this chunk wrote leaves now, in this turn: no nextTick hop between a PUBLISH read and its deliveries
      if (--batching === 0) flushWrites();
    }
  }

  packetDecoded(packet: Packet): void {
    if (this.state === 'closed') return;
    if (this.waiting) this.waiting.push(packet);
    else this.process(packet);
  }

  private process(packet: Packet): void {
    this.broker.stats.messagesReceived++;
    this.packetsReceived++;
    if (this.broker.verbose) this.broker.logger.info(`Received ${summarizePacket(packet, this.version)} from ${this.clientId || '?'}`);
    try {
      dispatchPacket(this, packet);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Runs `then` when `pending` settles, holding back every packet that arrives meanwhile so packets are still
   * handled in order. Only async hooks take this path; the hot path stays synchronous.
   */
  waitFor<T>(pending: Promise<T>, then: (value: T) => void): void {
    if (!this.hookPending) {
      this.hookPending = true;
      this.waiting ??= [];
      this.holdReading();
    }
    pending.then(
      (value) => {
        if (this.state === 'closed') return;
        this.hookPending = false; // before `then`: a hook it starts (e.g. session acquire after authenticate) waits anew
        try {
          then(value);
        } catch (err) {
          this.fail(err);
        }
        this.releaseReading(); // this hook's hold ends here, always (a hook started meanwhile took its own)
        this.drainWaiting();
      },
      (err: unknown) => {
        this.broker.logger.error({ err, clientId: this.clientId }, 'hook failed');
        this.fail(new ProtocolError('HOOK_FAILED', ReasonCode.UnspecifiedError, String(err)));
      },
    );
  }

  /** Handles the waiting packets in order, until a hook or a hold stops them again (the rest keeps waiting). */
  drainWaiting(): void {
    const list = this.waiting;
    if (list === undefined || this.hookPending || this.packetHolds > 0) return;
    this.waiting = undefined;
    for (let i = 0; i < list.length; i++) {
      if (this.state === 'closed') return;
      if (this.hookPending || this.packetHolds > 0) {
        const rest = list.slice(i);
        this.waiting = this.waiting ? rest.concat(this.waiting) : rest;
        return;
      }
      this.process(list[i]!);
    }
  }

  holdReading(): void {
    if (this.holds++ === 0) this.link.stream.pause();
  }

  releaseReading(): void {
    if (this.holds > 0 && --this.holds === 0 && this.state !== 'closed') this.link.stream.resume();
  }

  /**
   * Holds this publisher for a subscriber whose session queue is above high water: reading pauses, and the
   * packets left in the chunk being decoded wait too, so not one more PUBLISH is routed until the release.
   */
  holdPackets(): void {
    if (this.packetHolds++ > 0) return;
    this.waiting ??= [];
    this.holdReading();
  }

  /** One subscriber lets go; the last one lets the waiting packets through, on a later turn (never inside its ack). */
  releasePackets(): void {
    if (this.packetHolds === 0 || --this.packetHolds > 0) return;
    this.releaseReading();
    if (this.waiting === undefined || this.state === 'closed' || this.hookPending) return;
    if (this.waiting.length === 0) this.waiting = undefined;
    else setImmediate(drainWaiting, this);
  }

  /**
   * Called when `publisher` routes a message to this connection while its output buffer is over the cap:
   * true when the message may still be written (this subscriber is draining and below the hard cap; the
   * publisher is held until the drain), false when it should be dropped.
   */
  throttle(publisher: Connection): boolean {
    if (publisher === this) return false;
    if (this.link.stream.writableLength >= this.broker.limits.maxOutputBuffer * HARD_CAP_FACTOR) return false;
    const stream = this.link.stream;
    this.pressure ??= new OutputPressure(
      this.clientId,
      this.broker.clock,
      this.broker.logger,
      () => stream.writableLength,
      () => this.bytesOut,
      this.broker.limits.maxOutputBuffer,
    );
    return this.pressure.hold(publisher);
  }


  // ---- writing -------------------------------------------------------------------------------------------

  /**
   * Writes bytes; everything written while one input chunk is handled (elsewhere: in one tick) leaves in one
   * batch when it is done. The first packet is held, not corked: a connection that gets one packet in the batch
   * (the common case at low rates) writes it straight; only a second packet corks the stream (docs/latency.md).
   */
  writeBuffer(buf: Buffer): void {
    if (this.state === 'closed') return;
    if (this.heldOut === undefined && !this.corked) {
      this.heldOut = buf;
      pendingOut.push(this);
      if (batching === 0 && !flushQueued) {
        flushQueued = true;
        process.nextTick(flushWrites);
      }
    } else {
      const stream = this.link.stream;
      if (!this.corked) {
        this.corked = true;
        stream.cork();
        stream.write(this.heldOut!);
        this.heldOut = undefined;
      }
      stream.write(buf);
    }
    this.bytesOut += buf.length;
    this.broker.stats.bytesSent += buf.length;
    this.broker.stats.messagesSent++;
    this.packetsSent++;
  }

  /** Hands this batch's bytes to the socket (a held lone packet is written as is, a corked batch in one writev). */
  flushOutput(): void {
    if (this.corked) {
      this.corked = false;
      this.link.stream.uncork();
    } else if (this.heldOut !== undefined) {
      const buf = this.heldOut;
      this.heldOut = undefined;
      if (!this.link.stream.destroyed) this.link.stream.write(buf);
    }
  }

  /**
   * Encodes and writes a packet. A packet larger than the client's Maximum Packet Size is first stripped of
   * Reason String and User Properties, and dropped if still too large [MQTT-3.1.2-24] [MQTT-3.4.2-2].
   */
  send(packet: Packet): boolean {
    let buf = encodePacket(packet, this.version);
    if (buf.length > this.clientMaxPacketSize && 'properties' in packet && packet.properties) {
      const { reasonString: _r, userProperties: _u, ...rest } = packet.properties;
      buf = encodePacket({ ...packet, properties: rest } as Packet, this.version);
    }
    if (buf.length > this.clientMaxPacketSize) return false;
    if (this.broker.verbose) this.broker.logger.info(`Sending ${summarizePacket(packet, this.version)} to ${this.clientId || '?'}`);
    this.writeBuffer(buf);
    return true;
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------

  /** Called by the CONNECT handler once the client is accepted. */
  accepted(keepaliveSeconds: number): void {
    this.state = 'connected';
    this.keepalive = keepaliveSeconds;
    this.connectedAt = this.broker.clock.now();
    this.clearConnectTimer();
    if (keepaliveSeconds > 0) {
      this.keepaliveMonitor = new KeepaliveMonitor(keepaliveSeconds, this.broker.clock, this);
    }
  }

  /**
   * The one place a failure becomes a reaction: before CONNACK a CONNACK with the reason (3.x: its return
   * code when one fits [MQTT-3.2.2-6]), after it (5.0) a DISCONNECT with the reason [MQTT-4.13.1-1], then close.
   */
  fail(err: unknown): void {
    if (this.state === 'closed') return;
    const pe = err instanceof ProtocolError ? err : undefined;
    if (!pe) this.broker.logger.error({ err, clientId: this.clientId }, 'internal error');
    const reason = pe?.reasonCode ?? ReasonCode.UnspecifiedError;
    this.broker.logger.debug({ clientId: this.clientId, code: pe?.code, reason }, 'closing connection on error');
    if (this.state === 'awaiting-connect') {
      // the decoder learns the level from CONNECT even when the rest of it is malformed
      this.version = this.decoder.protocolVersion;
      // 3.1.1 [MQTT-3.1.2-1] a CONNECT that is not MQTT: close without answering
      if (pe?.code === 'UNSUPPORTED_PROTOCOL_NAME' && this.version !== 5) return this.close('protocol-error');
    }
    const detail = pe?.message ?? 'internal error';
    if (this.state === 'awaiting-connect' || this.state === 'connecting') this.refuse(reason, detail);
    else this.disconnect(reason, 'protocol-error', detail);
  }

  /** Refuses a CONNECT: CONNACK with a reason code >= 0x80 (3.x: mapped return code), then close [MQTT-3.2.2-7]. */
  refuse(reason: number, detail?: string): void {
    if (this.state === 'closed') return;
    if (this.version === 5) {
      const code = VALID_REASON_CODES.connack!.has(reason) ? reason : ReasonCode.UnspecifiedError;
      // a Reason String is allowed on CONNACK whatever Request Problem Information says [MQTT-3.1.2-29]
      const properties = detail ? { reasonString: detail } : undefined;
      this.send({ type: 'connack', sessionPresent: false, reasonCode: code, properties }); // [MQTT-3.2.2-6]
    } else {
      const rc = V3_RETURN_CODE[reason];
      if (rc !== undefined) this.send({ type: 'connack', sessionPresent: false, reasonCode: rc });
    }
    this.will = undefined; // a refused connection never had a will
    this.close('not-authorized');
  }

  /** Server-side DISCONNECT (5.0 only carries a reason on the wire), then close. */
  disconnect(reason: number, cause: DisconnectCause, detail?: string): void {
    if (this.state === 'closed') return;
    if (this.version === 5 && this.state === 'connected') {
      const code = VALID_REASON_CODES.disconnect!.has(reason) ? reason : ReasonCode.UnspecifiedError;
      // the Reason String says why, for people reading traces; dropped if the client's size limit is too small
      this.send({ type: 'disconnect', reasonCode: code, properties: detail ? { reasonString: detail } : undefined });
    }
    this.close(cause);
  }

  /** Closes the connection and tells the broker (will, session expiry); idempotent. */
  close(cause: DisconnectCause): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.disconnectCause ??= cause;
    this.clearConnectTimer();
    this.keepaliveMonitor?.stop();
    this.waiting = undefined;
    this.pressure?.release();
    this.queuePressure?.release(); // publishers held for this subscriber go on
    this.queuePressure = undefined;
    const stream = this.link.stream;
    this.flushOutput(); // a DISCONNECT / CONNACK written just before leaves ahead of the FIN
    stream.end(); // [MQTT-3.14.4-2]
    // A peer that never reads would hold the socket open: destroy after a grace period.
    const timer = setTimeout(() => stream.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
    this.broker.connectionClosed(this, wasConnected);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) this.broker.clock.clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  keepaliveExpired(): void {
    this.broker.logger.info({ clientId: this.clientId }, 'keepalive timeout');
    this.disconnect(ReasonCode.KeepAliveTimeout, 'keepalive-timeout', 'no packet within 1.5 x keepalive'); // [MQTT-3.1.2-22]
  }

  private connectTimedOut(): void {
    this.connectTimer = undefined;
    if (this.state === 'awaiting-connect') this.close('protocol-error');
  }

  errored(err: Error): void {
    this.broker.logger.debug({ err: err.message, clientId: this.clientId }, 'connection error');
    this.close('network-error');
    this.link.stream.destroy();
  }

  drained(): void {
    this.pressure?.release();
    this.pressure = undefined;
    if (this.session && this.state === 'connected') this.broker.delivery.pump(this.session);
  }

}

const owners = new WeakMap<Duplex, Connection>();
/** The connection whose chunk the decoder is working through (decoding is synchronous). */
let decoding: Connection | undefined;

function decodeFor(conn: Connection, chunk: Buffer): void {
  const outer = decoding;
  decoding = conn;
  try {
    conn.decoder.push(chunk, onDecodedPacket);
  } finally {
    decoding = outer;
  }
}
function onDecodedPacket(packet: Packet): void {
  decoding!.packetDecoded(packet);
}
function onStreamData(this: Duplex, chunk: Buffer): void {
  owners.get(this)?.received(chunk);
}
function onStreamError(this: Duplex, err: Error): void {
  owners.get(this)?.errored(err);
}
function onStreamClose(this: Duplex): void {
  owners.get(this)?.close('network-error');
}
function onStreamDrain(this: Duplex): void {
  owners.get(this)?.drained();
}

function drainWaiting(conn: Connection): void {
  if (conn.isOpen) conn.drainWaiting();
}

/** Depth of received() calls on the stack: writes made inside are flushed when the outermost one returns. */
let batching = 0;
/** Connections with bytes written in the current batch, in the order they were first written to. */
const pendingOut: Connection[] = [];
let flushQueued = false;

function flushWrites(): void {
  flushQueued = false;
  // by index: a stream's write may (in a custom Duplex) write to another connection, which joins the list
  for (let i = 0; i < pendingOut.length; i++) {
    const conn = pendingOut[i]!;
    if (!conn.isOpen) continue; // close() flushed it
    try {
      conn.flushOutput();
    } catch (err) {
      conn.errored(err as Error); // as when the write happened inside the handler: this connection fails alone
    }
  }
  while (pendingOut.length !== 0) pendingOut.pop(); // not `length = 0`: a runtime call (see router.ts)
}
