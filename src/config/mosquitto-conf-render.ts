// `--test-config`: the effective configuration as mosquitto.conf text. What the files set is written as
// directives (so the output reads back to the same configuration); what they leave to mosquitto's default
// is written as a comment with that default. Secrets (http_token) are masked unless asked for.
import { MOSQUITTO_DEFAULTS, type ListenerSettings, type LogDest, type MosquittoConfig, type SecuritySettings } from './mosquitto-conf-types.js';

export interface RenderOptions {
  showSecrets?: boolean;
}

const MASK = '********';

type Value = string | number | boolean | undefined;

function line(out: string[], indent: string, name: string, value: Value, fallback?: Value): void {
  if (value !== undefined) out.push(`${indent}${name} ${value}`);
  else if (fallback !== undefined) out.push(`${indent}#${name} ${fallback}  (default)`);
}

function security(out: string[], indent: string, s: SecuritySettings | undefined, showDefaults: boolean): void {
  line(out, indent, 'allow_anonymous', s?.allowAnonymous, showDefaults ? MOSQUITTO_DEFAULTS.allowAnonymous : undefined);
  line(out, indent, 'password_file', s?.passwordFile);
  line(out, indent, 'acl_file', s?.aclFile);
}

const dest = (d: LogDest): string => (d.kind === 'file' ? `file ${d.path}` : d.kind);

function listener(out: string[], l: ListenerSettings, perListener: boolean): void {
  out.push('');
  out.push(`# ${l.isDefault ? 'default listener' : 'listener'} from ${l.source.file}:${l.source.line}`);
  if (l.isDefault) {
    out.push(`port ${l.port}`);
    line(out, '', 'bind_address', l.bindAddress);
  } else {
    out.push(`listener ${l.port}${l.bindAddress !== undefined ? ` ${l.bindAddress}` : ''}`);
  }
  const i = '';
  line(out, i, 'protocol', l.protocol);
  line(out, i, 'socket_domain', l.socketDomain);
  line(out, i, 'bind_interface', l.bindInterface);
  line(out, i, 'certfile', l.certfile);
  line(out, i, 'keyfile', l.keyfile);
  line(out, i, 'cafile', l.cafile);
  line(out, i, 'capath', l.capath);
  line(out, i, 'require_certificate', l.requireCertificate);
  line(out, i, 'use_identity_as_username', l.useIdentityAsUsername);
  line(out, i, 'use_subject_as_username', l.useSubjectAsUsername);
  line(out, i, 'tls_version', l.tlsVersion);
  line(out, i, 'max_connections', l.maxConnections, MOSQUITTO_DEFAULTS.maxConnections);
  if (perListener) security(out, i, l.security, true);
}

export function renderMosquittoConfig(c: MosquittoConfig, options: RenderOptions = {}): string {
  const d = MOSQUITTO_DEFAULTS;
  const g = c.glassmq;
  const out: string[] = [`# effective configuration read from ${c.files.join(', ')}`, ''];
  out.push(`per_listener_settings ${c.perListenerSettings}`);
  if (!c.perListenerSettings) security(out, '', c.security, true);
  line(out, '', 'persistence', c.persistence, d.persistence);
  line(out, '', 'persistence_location', c.persistenceLocation);
  line(out, '', 'autosave_interval', c.autosaveInterval);
  line(out, '', 'max_keepalive', c.maxKeepalive, d.maxKeepalive);
  line(out, '', 'max_packet_size', c.maxPacketSize, d.maxPacketSize);
  line(out, '', 'message_size_limit', c.messageSizeLimit, d.messageSizeLimit);
  line(out, '', 'max_inflight_messages', c.maxInflightMessages, d.maxInflightMessages);
  line(out, '', 'max_queued_messages', c.maxQueuedMessages, d.maxQueuedMessages);
  line(out, '', 'max_queued_bytes', c.maxQueuedBytes, d.maxQueuedBytes);
  line(out, '', 'retain_available', c.retainAvailable, d.retainAvailable);
  line(out, '', 'sys_interval', c.sysInterval, d.sysInterval);
  for (const t of c.logTypes) out.push(`log_type ${t}`);
  for (const dst of c.logDest) out.push(`log_dest ${dest(dst)}`);

  out.push('', '# glassmq');
  if (g.httpListener) out.push(`http_listener ${g.httpListener.port} ${g.httpListener.address}`);
  line(out, '', 'http_token', g.httpToken === undefined ? undefined : options.showSecrets ? g.httpToken : MASK);
  line(out, '', 'capture_file', g.captureFile);
  line(out, '', 'capture_max_mb', g.captureMaxMb);
  line(out, '', 'trace', g.trace);
  line(out, '', 'cluster', g.cluster);
  line(out, '', 'node_id', g.nodeId);
  line(out, '', 'ws_ping', g.wsPing);
  line(out, '', 'ws_path', g.wsPath);
  for (const o of g.wsOrigin ?? []) out.push(`ws_origin ${o}`);
  line(out, '', 'trust_proxy', g.trustProxy);
  line(out, '', 'proxy_protocol', g.proxyProtocol);
  line(out, '', 'tls_keylog', g.tlsKeylog);
  line(out, '', 'data_dir', g.dataDir);
  line(out, '', 'sync', g.sync);
  line(out, '', 'auth_fail_limit', g.authFailLimit); // [security] throttle
  line(out, '', 'auth_fail_window', g.authFailWindow);
  line(out, '', 'auth_lockout', g.authLockout);

  if (c.listeners.length === 0) out.push('', '# no listener configured: the broker uses its default listeners');
  for (const l of c.listeners) listener(out, l, c.perListenerSettings);
  if (c.notes.length > 0) out.push('', '# notes', ...c.notes.map((n) => `#   ${n}`));
  return `${out.join('\n')}\n`;
}
