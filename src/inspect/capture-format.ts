// Numbers of the pcap and pcapng file formats and of the link types the inspector reads and writes.

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** The upper bits of pcap's link-type field carry FCS information, not the link type. */
export const PCAP_LINKTYPE_MASK = 0x0fffffff;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const BLOCK = {
  sectionHeader: 0x0a0d0d0a,
  interfaceDescription: 0x00000001,
  obsoletePacket: 0x00000002,
  simplePacket: 0x00000003,
  enhancedPacket: 0x00000006,
  decryptionSecrets: 0x0000000a,
} as const;
/** Decryption Secrets Block secrets type: an NSS key log ("TLSK"). */
export const SECRETS_TYPE_TLS_KEYLOG = 0x544c534b;
export const OPTION = { endOfOptions: 0, ifTsresol: 9, ifTsoffset: 14 } as const;
/** Smallest block: type, length, trailing length. */
export const BLOCK_OVERHEAD = 12;
/** Refuse blocks larger than this: a corrupt length must not make the reader allocate gigabytes. */
export const MAX_BLOCK_LENGTH = 256 * 1024 * 1024;

export const LINKTYPE = {
  null: 0,
  ethernet: 1,
  rawBsd12: 12,
  rawOpenBsd14: 14,
  raw: 101,
  loop: 108,
  linuxSll: 113,
  ipv4: 228,
  ipv6: 229,
  linuxSll2: 276,
} as const;

export const ETHERTYPE = { ipv4: 0x0800, ipv6: 0x86dd, vlan: 0x8100, qinq: 0x88a8, vlanOld: 0x9100 } as const;
