/** Types for scripts/package.mjs, so its TypeScript test can call it. */

export interface ZipInput {
  /** '/'-separated path inside the archive. */
  path: string;
  data: Buffer;
}

export interface Packaged {
  browser: 'chrome' | 'firefox';
  /** The store zip, the signed CRX, or the update manifest pointing at it. */
  kind: 'zip' | 'crx' | 'updates';
  /** The ID the CRX key gives (crx and updates only). */
  extensionId?: string;
  file: string;
  sha256: string;
  bytes: number;
}

export function crc32(buf: Uint8Array): number;
export function zipFiles(files: ZipInput[]): Buffer;
export function readTree(dir: string): Promise<ZipInput[]>;
export function storeFiles(browser: 'chrome' | 'firefox', dir: string): Promise<ZipInput[]>;
export function zipName(browser: string, version: string): string;
export function crxName(version: string): string;
export interface CrxOptions {
  /** PEM private key that signs the CRX. */
  keyPath: string;
  /** The .crx URL, or the folder it is served from (ending in /). */
  codebase: string;
}
export function parsePackageArgs(argv: string[]): { crx?: CrxOptions; help?: boolean };
export function packageAll(opts?: { log?: (line: string) => void; crx?: CrxOptions }): Promise<Packaged[]>;
