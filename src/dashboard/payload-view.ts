// A payload as the dashboard shows it: text when it is valid UTF-8 without control characters, JSON when it also
// parses, hex otherwise. Only a bounded prefix travels to the browser.

export const PAYLOAD_PREVIEW_BYTES = 1024;

export interface PayloadView {
  readonly format: 'text' | 'json' | 'hex' | 'empty';
  /** The text (text/json) or lower-case hex (hex) of at most PAYLOAD_PREVIEW_BYTES bytes. */
  readonly value: string;
  /** Hex of the same prefix, always present so the UI can switch views. */
  readonly hex: string;
  readonly size: number;
  readonly truncated: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
// C0 controls other than tab, newline and carriage return mark a payload as binary.
const BINARY_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/; // eslint-disable-line no-control-regex

export function viewPayload(payload: Buffer): PayloadView {
  const size = payload.length;
  if (size === 0) return { format: 'empty', value: '', hex: '', size, truncated: false };
  const head = size > PAYLOAD_PREVIEW_BYTES ? payload.subarray(0, PAYLOAD_PREVIEW_BYTES) : payload;
  const truncated = head.length < size;
  const hex = head.toString('hex');
  let text: string | undefined;
  try {
    text = decoder.decode(head);
  } catch {
    text = undefined; // not UTF-8 (a cut multi-byte character at the prefix end lands here too)
  }
  if (text === undefined || BINARY_CONTROL.test(text)) return { format: 'hex', value: hex, hex, size, truncated };
  if (!truncated) {
    try {
      JSON.parse(text);
      return { format: 'json', value: text, hex, size, truncated };
    } catch {
      // plain text
    }
  }
  return { format: 'text', value: text, hex, size, truncated };
}
