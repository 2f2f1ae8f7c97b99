// Hooks an embedder (or the auth layer) plugs into the broker. All optional; authenticate, authorizePublish and
// authorizeSubscribe may return a Promise (the connection then pauses reading until it settles).
import type { ProtocolVersion, PublishPacket, QoS } from '../protocol/packets.js';
import type { LinkInfo } from './ports.js';
import type { Message } from './message.js';

type MaybePromise<T> = T | Promise<T>;

export interface AuthenticateContext {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Buffer;
  readonly link: LinkInfo;
  readonly protocolVersion: ProtocolVersion;
}

/** A connected client as hooks see it. */
export interface ClientInfo {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly protocolVersion: ProtocolVersion;
  readonly link: LinkInfo;
  readonly keepalive: number;
  readonly connectedAt: number;
}

export type DisconnectCause =
  | 'client-disconnect'
  | 'client-disconnect-with-will'
  | 'network-error'
  | 'keepalive-timeout'
  | 'protocol-error'
  | 'session-taken-over'
  | 'server-shutdown'
  | 'not-authorized';

/** [security] What authenticate answers (see BrokerHooks.authenticate). */
export type AuthenticateVerdict = boolean | number | undefined | { readonly username: string };

export interface BrokerHooks {
  /**
   * true / undefined accept; false refuses (Bad User Name or Password); a number is the 5.0 reason code to refuse with.
   * [security] `{ username }` accepts as that user (use_identity_as_username / use_subject_as_username).
   */
  authenticate?(ctx: AuthenticateContext): MaybePromise<AuthenticateVerdict>;
  /** false refuses: 3.x acknowledged and dropped, 5.0 PUBACK / PUBREC 0x87. */
  authorizePublish?(client: ClientInfo, topic: string, packet: PublishPacket): MaybePromise<boolean>;
  /** false refuses (0x80 / 0x87 in SUBACK); a QoS grants at most that QoS. */
  authorizeSubscribe?(client: ClientInfo, topicFilter: string, qos: QoS): MaybePromise<boolean | QoS>;
  /** Called per delivery; false skips this subscriber. Synchronous: it runs on the fan-out hot path. */
  authorizeRead?(client: ClientInfo, topic: string): boolean;
  connected?(client: ClientInfo): void;
  disconnected?(client: ClientInfo, reason: DisconnectCause): void;
  /** After a message was routed; client is undefined for wills and $SYS. */
  published?(message: Message, client: ClientInfo | undefined): void;
  subscribed?(client: ClientInfo, topicFilter: string, grantedQos: QoS): void;
  unsubscribed?(client: ClientInfo, topicFilter: string): void;
}
