/** Types for scripts/package.mjs, so its TypeScript test can call it. */

export interface ZipInput {
  /** '/'-separated path inside the archive. */
  path: string;
  data: Buffer;
}

export interface Packaged {
  browser: 'chrome' | 'firefox';
  file: string;
  sha256: string;
  bytes: number;
}

export function crc32(buf: Uint8Array): number;
export function zipFiles(files: ZipInput[]): Buffer;
export function readTree(dir: string): Promise<ZipInput[]>;
export function storeFiles(browser: 'chrome' | 'firefox', dir: string): Promise<ZipInput[]>;
export function zipName(browser: string, version: string): string;
export function packageAll(opts?: { log?: (line: string) => void }): Promise<Packaged[]>;
