// NSS key log (the SSLKEYLOGFILE format): "LABEL <client random hex> <secret hex>" per line, '#' comments.

export const KEYLOG_LABEL = {
  tls12Master: 'CLIENT_RANDOM',
  clientHandshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  serverHandshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  clientTraffic0: 'CLIENT_TRAFFIC_SECRET_0',
  serverTraffic0: 'SERVER_TRAFFIC_SECRET_0',
} as const;

const CLIENT_RANDOM_HEX_LENGTH = 64;

/** Secrets by client random (hex, lower case) and label. */
export class KeyLog {
  private readonly byRandom = new Map<string, Map<string, Buffer>>();

  /** Adds every well-formed line of `text`; returns how many were added. */
  add(text: string): number {
    let added = 0;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const [label, random, secret] = line.split(/\s+/);
      if (!label || !random || !secret || random.length !== CLIENT_RANDOM_HEX_LENGTH || !/^[0-9a-f]+$/i.test(random + secret)) continue;
      const key = random.toLowerCase();
      let entry = this.byRandom.get(key);
      if (!entry) this.byRandom.set(key, (entry = new Map()));
      entry.set(label, Buffer.from(secret, 'hex'));
      added++;
    }
    return added;
  }

  get(clientRandom: Buffer, label: string): Buffer | undefined {
    return this.byRandom.get(clientRandom.toString('hex'))?.get(label);
  }

  get size(): number {
    return this.byRandom.size;
  }
}
