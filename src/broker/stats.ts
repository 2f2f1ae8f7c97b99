// Counters the broker keeps for $SYS and for embedders (read-only view: BrokerStats).

export interface BrokerStats {
  readonly startedAt: number;
  readonly clientsConnected: number;
  readonly clientsMaximum: number;
  readonly clientsExpired: number;
  /** MQTT packets of any type. */
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly publishReceived: number;
  readonly publishSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly connectionsTotal: number;
  /** Messages dropped, by cause: QoS 0 over a full output buffer or to an offline session, full queue, expiry, too large for the client. */
  readonly droppedQos0: number;
  readonly droppedQueueFull: number;
  readonly droppedExpired: number;
  readonly droppedTooLarge: number;
}

export class Stats implements BrokerStats {
  startedAt: number;
  clientsConnected = 0;
  clientsMaximum = 0;
  clientsExpired = 0;
  messagesReceived = 0;
  messagesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  connectionsTotal = 0;
  droppedQos0 = 0;
  droppedQueueFull = 0;
  droppedExpired = 0;
  droppedTooLarge = 0;

  constructor(now: number) {
    this.startedAt = now;
  }

  get publishDropped(): number {
    return this.droppedQos0 + this.droppedQueueFull + this.droppedExpired + this.droppedTooLarge;
  }

  clientConnected(): void {
    this.clientsConnected++;
    if (this.clientsConnected > this.clientsMaximum) this.clientsMaximum = this.clientsConnected;
  }
}
