// glassmq's MQTT 3.1 / 3.1.1 / 5.0 wire format: types, tables, encoder, streaming decoder, topic rules and the
// dissector with its renderers. Everything outside src/protocol imports from here.
export * from './constants.js';
export * from './errors.js';
export * from './packets.js';
export * from './properties.js';
export { encodePacket } from './encode/index.js';
export { encodedPublishPacketIdOffset } from './encode/publish.js';
export { decodePacket } from './decode.js';
export { PacketDecoder, MAX_PACKET_SIZE, type PacketDecoderOptions } from './decoder.js';
export { validateTopicName, validateTopicFilter, parseSharedSubscription, isSharedFilter, topicMatches } from './topic.js';
export { parseHex } from './hex.js';
export { dissectPacket, dissectPackets } from './dissect.js';
export type { Dissection, DissectField, DissectOptions } from './dissection.js';
export { MASKED_SECRET } from './dissection.js';
export { MAX_VARINT } from './varint.js';
export { renderTree } from './render/tree.js';
export { renderHexDump } from './render/hex.js';
export { dissectionToJSON, packetToJSON, type DissectionJSON, type FieldJSON } from './render/json.js';
export { summarizePacket } from './summary.js';
