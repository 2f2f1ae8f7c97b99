// Publish: send a test message as the broker itself (POST /api/publish).
import { useState } from 'preact/hooks';
import { api } from '../api';

export function PublishView() {
  const [topic, setTopic] = useState('test/hello');
  const [payload, setPayload] = useState('{"hello": "world"}');
  const [encoding, setEncoding] = useState('utf8');
  const [qos, setQos] = useState(0);
  const [retain, setRetain] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ bytes: number }>('/api/publish', { method: 'POST', body: JSON.stringify({ topic, payload, encoding, qos, retain }) });
      setResult({ ok: true, text: `Published ${r.bytes} bytes to ${topic}` });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    }
  };
  return (
    <div class="card narrow">
      <h1>Publish a test message</h1>
      <form class="form" onSubmit={(e) => void submit(e)}>
        <label>
          Topic
          <input class="mono" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} required name="topic" />
        </label>
        <label>
          Payload
          <textarea class="mono" rows={6} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} name="payload" />
        </label>
        <div class="row">
          <label>
            Encoding
            <select value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)}>
              <option value="utf8">UTF-8 text</option>
              <option value="hex">hex</option>
              <option value="base64">base64</option>
            </select>
          </label>
          <label>
            QoS
            <select value={qos} onChange={(e) => setQos(Number(e.currentTarget.value))}>
              <option value={0}>0</option>
              <option value={1}>1</option>
              <option value={2}>2</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={retain} onChange={(e) => setRetain(e.currentTarget.checked)} /> Retain
          </label>
        </div>
        <div class="row">
          <button class="btn primary" type="submit">
            Publish
          </button>
          {result && <span class={result.ok ? 'note ok' : 'note error'}>{result.text}</span>}
        </div>
      </form>
    </div>
  );
}
