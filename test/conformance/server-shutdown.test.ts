// Stopping the broker: 5.0 clients get DISCONNECT 0x8B (Server shutting down), every connection closes.
import { both, broker, connected } from './support.js';
import { RC } from '../helpers/raw-codes.js';

both({ v4: 'v3.1.1 [issue-3 shutdown]', v5: 'v5 [issue-3 shutdown] [MQTT-3.14.4-2]' }, 'a stopping broker closes connections (5.0: DISCONNECT 0x8B first)', async (level, t) => {
  const b = await broker(t);
  const c = await connected(t, b, level);
  const stopping = b.stop();
  await c.expectDisconnect(RC.ServerShuttingDown, 6000, true);
  await stopping;
});
