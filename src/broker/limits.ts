// Every bound the broker enforces, with its default. Each has a createBroker option and a command-line flag
// (src/config/broker-flags.ts keeps the same defaults; test/broker/limits.test.ts checks they agree).

export interface BrokerLimits {
  /** Largest keepalive (seconds) a client may use: 5.0 gets Server Keep Alive, 3.x larger is refused. */
  maxKeepalive: number;
  /** Largest packet (bytes, whole packet) accepted from a client; advertised to 5.0 clients in CONNACK. */
  maxPacketSize: number;
  /** Outgoing QoS 1/2 messages awaiting acknowledgement per client; also the Receive Maximum we advertise. */
  maxInflight: number;
  /** QoS 1/2 messages queued per session beyond the inflight window (offline or slow clients); half of it holds publishers (queue-pressure.ts). */
  maxQueued: number;
  /** Payload bytes queued per session. */
  maxQueuedBytes: number;
  /** Simultaneous network connections. */
  maxConnections: number;
  /** Bytes waiting in one connection's socket buffer beyond which QoS 0 is dropped and QoS 1/2 queued. */
  maxOutputBuffer: number;
  /** Topic Alias Maximum we accept from 5.0 clients. */
  topicAliasMaximum: number;
  /** Seconds a new connection may take to send CONNECT. */
  connectTimeout: number;
  /** [security] mosquitto's message_size_limit: largest PUBLISH / will payload accepted (bytes); 0 = no limit. */
  maxPayloadSize: number;
}

export const DEFAULT_LIMITS: Readonly<BrokerLimits> = {
  maxKeepalive: 65_535,
  maxPacketSize: 1_048_576,
  maxInflight: 20,
  maxQueued: 1000,
  maxQueuedBytes: 16_777_216,
  maxConnections: 100_000,
  maxOutputBuffer: 1_048_576,
  topicAliasMaximum: 10,
  connectTimeout: 10,
  maxPayloadSize: 0, // [security] no limit, as mosquitto
};

/** Largest value a 4-byte Maximum Packet Size / remaining length allows (spec 2.1.4). */
export const PROTOCOL_MAX_PACKET_SIZE = 268_435_460;
/** Largest keepalive the 2-byte field can carry. */
export const PROTOCOL_MAX_KEEPALIVE = 65_535;
/** Default Receive Maximum when a 5.0 peer sends none (spec 3.1.2.11.3). */
export const DEFAULT_RECEIVE_MAXIMUM = 65_535;
