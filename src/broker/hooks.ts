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
  | 'not-authorized'
  /** Closed by an operator (dashboard DELETE /api/clients/:id): 5.0 DISCONNECT 0x98; the will is published [MQTT-3.1.2-8]. */
  | 'administrative-action';

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
  /** A PINGREQ arrived ('pingreq') and was answered ('pingresp'); keepalive traffic only, never on the publish path. */
  /** `at`: clock ms the PINGREQ's bytes arrived (the keepalive's last-received time) / the PINGRESP was sent. */
  pinged?(client: ClientInfo, type: 'pingreq' | 'pingresp', at: number): void;
}

/** Just the logging call safeHooks needs (ports.ts Logger has it). */
interface ErrorLog {
  error(obj: object, msg?: string): void;
}

/**
 * Wraps the embedder's hooks so that one throwing cannot break the broker: observer hooks run inside timers,
 * close handlers and the fan-out loop, where an exception would skip other subscribers or crash the process.
 * A throwing observer is logged; a throwing authorizeRead counts as a refusal. The other authorize hooks and
 * authenticate run on a connection's own packet path, where a throw already closes just that connection.
 */
export function safeHooks(hooks: BrokerHooks, log: ErrorLog): BrokerHooks {
  const safe: BrokerHooks = {};
  // bound, so hooks written as class methods keep their `this` when the broker takes them out of the object
  for (const name of ['authenticate', 'authorizePublish', 'authorizeSubscribe'] as const) {
    const fn = hooks[name] as ((...args: unknown[]) => unknown) | undefined;
    if (fn) (safe as Record<string, unknown>)[name] = fn.bind(hooks);
  }
  const observers = ['connected', 'disconnected', 'published', 'subscribed', 'unsubscribed', 'pinged'] as const;
  for (const name of observers) {
    const fn = hooks[name] as ((...args: unknown[]) => void) | undefined;
    if (!fn) continue;
    (safe as Record<string, unknown>)[name] = (...args: unknown[]): void => {
      try {
        fn.apply(hooks, args);
      } catch (err) {
        log.error({ err: String(err), hook: name }, 'hook threw');
      }
    };
  }
  const read = hooks.authorizeRead;
  if (read) {
    safe.authorizeRead = (client, topic) => {
      try {
        return read.call(hooks, client, topic);
      } catch (err) {
        log.error({ err: String(err), hook: 'authorizeRead' }, 'hook threw: delivery refused');
        return false;
      }
    };
  }
  return safe;
}
