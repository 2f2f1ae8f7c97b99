// A payload shown as text, pretty JSON or a hex dump, with a switch between the forms that make sense.
import { useState } from 'preact/hooks';
import type { PayloadView } from '../types';

type Mode = 'text' | 'json' | 'hex';

function hexDump(hex: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const row = hex.slice(i, i + 32);
    const pairs = row.match(/../g) ?? [];
    const ascii = pairs.map((p) => {
      const c = parseInt(p, 16);
      return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    });
    lines.push(`${(i / 2).toString(16).padStart(4, '0')}  ${pairs.join(' ').padEnd(47)}  ${ascii.join('')}`);
  }
  return lines.join('\n');
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function Payload({ payload }: { payload: PayloadView }) {
  const natural: Mode = payload.format === 'json' ? 'json' : payload.format === 'text' ? 'text' : 'hex';
  const [mode, setMode] = useState<Mode>(natural);
  if (payload.format === 'empty') return <p class="muted">(empty payload)</p>;
  const modes: Mode[] = payload.format === 'hex' ? ['hex'] : payload.format === 'json' ? ['json', 'text', 'hex'] : ['text', 'hex'];
  const shown = mode === 'hex' ? hexDump(payload.hex) : mode === 'json' ? pretty(payload.value) : payload.value;
  return (
    <div class="payload">
      <div class="segmented">
        {modes.map((m) => (
          <button key={m} class={m === mode ? 'seg active' : 'seg'} onClick={() => setMode(m)}>
            {m.toUpperCase()}
          </button>
        ))}
        <span class="muted small">
          {payload.size} bytes{payload.truncated ? ' (first 1 KiB shown)' : ''}
        </span>
      </div>
      <pre class={`payload-body ${mode}`}>{shown}</pre>
    </div>
  );
}
