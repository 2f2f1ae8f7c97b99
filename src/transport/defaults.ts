// IANA-registered / conventional MQTT ports, used when a listener flag gives none.
export const DEFAULT_LISTENER_PORTS = { tcp: 1883, tls: 8883, ws: 8083, wss: 8084 } as const;
