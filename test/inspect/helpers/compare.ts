// Packet-by-packet comparison of `glassmq dissect --json` objects with tshark's MQTT layers.
import assert from 'node:assert/strict';

export function compareWithTshark(ours: Record<string, any>[], theirs: { frame: number; mqtt: Record<string, any> }[]): void {
  const packets = ours.filter((o) => typeof o.type === 'string');
  assert.equal(packets.length, theirs.length, `glassmq found ${packets.length} MQTT packets, tshark ${theirs.length}`);
  packets.forEach((o, i) => {
    const t = theirs[i]!;
    const m = t.mqtt;
    const where = `packet ${i + 1} (frame ${o.frame}, ${o.type})`;
    assert.equal(o.frame, t.frame, `${where}: frame`);
    assert.equal(o.header, parseInt(m['mqtt.hdrflags'], 16), `${where}: header flags`);
    assert.equal(o.remainingLength, Number(m['mqtt.len']), `${where}: remaining length`);
    if (m['mqtt.clientid'] !== undefined) assert.equal(o.clientId, m['mqtt.clientid'], `${where}: client id`);
    if (m['mqtt.msgid'] !== undefined) assert.equal(o.packetId, Number(m['mqtt.msgid']), `${where}: packet id`);
    const qos = m['mqtt.hdrflags_tree']?.['mqtt.qos'];
    if (qos !== undefined) assert.equal(o.qos, Number(qos), `${where}: qos`);
    if (m['mqtt.topic'] !== undefined) {
      const ourTopic = o.type === 'PUBLISH' ? o.topic : o.type === 'SUBSCRIBE' ? o.subscriptions.at(-1).topicFilter : o.topicFilters?.at(-1);
      assert.equal(ourTopic, m['mqtt.topic'], `${where}: topic`);
    }
    if (m['mqtt.ver'] !== undefined) assert.equal(o.protocolVersion, Number(m['mqtt.ver']), `${where}: protocol level`);
  });
}
