// The shape every stream layer of a connection shares (TCP -> TLS -> HTTP/WebSocket -> MQTT): bytes, gaps
// and ends, per direction.

export interface DuplexConsumer {
  data(fromClient: boolean, chunk: Buffer): void;
  /** `bytes` of this direction were lost; what follows is not contiguous with what came before. */
  gap(fromClient: boolean, bytes: number): void;
  end(fromClient: boolean): void;
}

export type NoteLevel = 'error' | 'warning' | 'info';

/** Something a layer wants the user to know about this connection (a gap, a close frame, a decryption failure). */
export interface LayerNote {
  level: NoteLevel;
  layer: 'tcp' | 'tls' | 'http' | 'ws' | 'mqtt' | 'capture';
  code: string;
  message: string;
  fromClient?: boolean;
}

export type NoteSink = (note: LayerNote) => void;
