/** Synchronous SHA-256 for the evidence commands (the core's ledger takes it injected). */
import * as crypto from 'node:crypto';
import type { SyncSha256 } from '../core/audit/ledger.ts';

/**
 * SHA-256 hex with node:crypto, synchronous: far faster per event than a WebCrypto promise. The
 * one-shot crypto.hash (Node 20.12+) skips the Hash object, a third of the cost for short texts.
 */
const oneShot = (crypto as { hash?: (alg: string, data: string, encoding: 'hex') => string }).hash;
export const sha256Sync: SyncSha256 = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex');
