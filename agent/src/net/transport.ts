// The transport interface and the other seams of the overlay. They are defined beside the sans-IO
// core (core/ports.ts), which may not import from net/; implementations in net/ import them from here.
export type { Clock, ErasureCodec, NameService, NodeRef, SignatureScheme, TimerHandle, Timers, Transport } from '../core/ports.ts';
