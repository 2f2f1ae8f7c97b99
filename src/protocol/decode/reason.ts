// Checks that a 5.0 reason code belongs to the packet that carries it (spec 2.4, Table 2-6).
import { VALID_REASON_CODES, reasonCodeName, type PacketTypeName } from '../constants.js';
import { malformed } from '../errors.js';
import type { Reader } from '../reader.js';

export function checkReasonCode(r: Reader, packet: PacketTypeName, code: number, at: number): void {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  if (!VALID_REASON_CODES[packet]?.has(code)) {
    r.note(`${hex} (not valid in ${packet.toUpperCase()})`);
    throw malformed('INVALID_REASON_CODE', `reason code ${hex} is not valid in ${packet.toUpperCase()}`, r.off(at));
  }
  r.note(`${hex} (${reasonCodeName(code, packet)})`);
}
