// src/inspect/live public surface: the trace hub the server registers links with, its event shape, the text
// form, the --trace printer and the --capture writer.
export { TraceHub, type TraceHubOptions, type WireWatcher } from './trace-hub.js';
export type {
  FlowSummaryView, HttpView, MqttView, TapDirection, TlsLayerView, TraceConnection, TraceEvent, TraceEventKind, TraceFilter,
  TraceLink, TraceLinkInfo, WsFrameView,
} from './trace-event.js';
export { formatEvent, hexLines, who, wsFrameText, type TextOptions } from './trace-text.js';
export { printTrace, type PrinterOptions } from './trace-printer.js';
export { LiveCapture, type LiveCaptureOptions } from './live-capture.js';
export { topicMatches } from '../../protocol/index.js';
