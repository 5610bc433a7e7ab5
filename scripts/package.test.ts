/**
 * `npm run package` is reproducible and writes what the stores expect. The whole pipeline (build +
 * zip) runs in two copies of the sources at different paths: an absolute path, a timestamp, a file
 * mode or a directory order leaking into the output makes the bytes differ.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCrxKeyPem, parseCrxKey } from '../src/cli/crx.ts';
import { crc32, crxName, parsePackageArgs, zipFiles, zipName } from './package.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// Generated or installed, never sources: copying them would only hide what the build reads.
const NOT_SOURCES = new Set([
  '.git',
  'node_modules',
  'dist',
  'demo-output',
  'test-results',
  'playwright-report',
  '.cache',
]);

interface Entry {
  path: string;
  data: Buffer;
  method: number;
  dosTime: number;
  dosDate: number;
  madeBy: number;
  mode: number;
}

/** An independent zip reader: central directory, local headers, inflate, CRC — all cross-checked. */
function readZip(zip: Buffer): Entry[] {
  const eocd = zip.length - 22;
  expect(zip.readUInt32LE(eocd), 'end of central directory without a comment').toBe(0x06054b50);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  expect(p + zip.readUInt32LE(eocd + 12)).toBe(eocd);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const csize = zip.readUInt32LE(p + 20);
    const usize = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const path = zip.toString('utf8', p + 46, p + 46 + nameLen);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    expect(
      zip.subarray(local + 8, local + 26).equals(zip.subarray(p + 10, p + 28)),
      `${path}: local and central headers agree`,
    ).toBe(true);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + csize);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    expect([0, 8]).toContain(method);
    expect(data.length).toBe(usize);
    expect(crc32(data), `${path}: CRC-32`).toBe(crc);
    expect(extraLen + commentLen).toBe(0);
    entries.push({
      path,
      data,
      method,
      dosTime: zip.readUInt16LE(p + 12),
      dosDate: zip.readUInt16LE(p + 14),
      madeBy: zip.readUInt16LE(p + 4),
      mode: zip.readUInt32LE(p + 38) >>> 16,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('zip writer', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('gives the same bytes whatever order the files come in', () => {
    const files = [
      { path: 'b.js', data: Buffer.from('b'.repeat(1000)) },
      { path: 'a/z.json', data: Buffer.from('{}') },
      { path: 'manifest.json', data: Buffer.from('{"manifest_version":3}') },
    ];
    const zip = zipFiles(files);
    expect(zipFiles([...files].reverse()).equals(zip)).toBe(true);
    const entries = readZip(zip);
    expect(entries.map((e) => e.path)).toEqual(['a/z.json', 'b.js', 'manifest.json']);
    // Compressible data is deflated; a two-byte file is stored (deflate would make it bigger).
    expect(entries[0]!.method).toBe(0);
    expect(entries[1]!.method).toBe(8);
    expect(entries[1]!.data.toString()).toBe('b'.repeat(1000));
  });

  it('refuses names that would escape the extension directory', () => {
    expect(() => zipFiles([{ path: '../x', data: Buffer.from('') }])).toThrow(/bad zip entry/);
    expect(() => zipFiles([{ path: '/etc/x', data: Buffer.from('') }])).toThrow(/bad zip entry/);
  });
});

describe('npm run package', () => {
  const copies: string[] = [];
  const zips: Record<string, Buffer[]> = { chrome: [], firefox: [] };
  const crxs: Buffer[] = [];
  const updates: string[] = [];
  const hashes: string[][] = [];
  const keyDir = mkdtempSync(join(tmpdir(), 'aig-package-key-'));
  const keyPath = join(keyDir, 'crx.pem');
  const crxKey = parseCrxKey(generateCrxKeyPem());
  writeFileSync(keyPath, crxKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));

  beforeAll(() => {
    for (const name of ['a', 'bb']) {
      // Different path lengths too: an embedded absolute path would shift every later byte.
      const dir = mkdtempSync(join(tmpdir(), `aig-package-${name}-`));
      copies.push(dir);
      cpSync(ROOT, dir, { recursive: true, filter: (src) => !NOT_SOURCES.has(relative(ROOT, src).split(/[\\/]/)[0]!) });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      // With IT's CRX key: the CRX and updates.xml must be as reproducible as the zips.
      const args = ['scripts/package.mjs', '--crx-key', keyPath, '--codebase', 'https://ext.bank.example/ai-geofence/'];
      const out = execFileSync(process.execPath, args, {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      hashes.push(out.trim().split('\n'));
      for (const b of ['chrome', 'firefox']) zips[b]!.push(readFileSync(join(dir, 'dist', zipName(b, VERSION))));
      crxs.push(readFileSync(join(dir, 'dist', crxName(VERSION))));
      updates.push(readFileSync(join(dir, 'dist', 'updates.xml'), 'utf8'));
    }
  }, 120_000);

  afterAll(() => {
    for (const d of [...copies, keyDir]) rmSync(d, { recursive: true, force: true });
  });

  it('writes the same bytes from two checkouts, and prints their SHA-256 in sha256sum format', () => {
    for (const b of ['chrome', 'firefox'])
      expect(zips[b]![1]!.equals(zips[b]![0]!), `${b} zip differs between two builds`).toBe(true);
    expect(crxs[1]!.equals(crxs[0]!), 'the CRX differs between two builds').toBe(true);
    expect(hashes[0]).toEqual(hashes[1]);
    const v = VERSION.replace(/\./g, '\\.');
    expect(hashes[0]).toEqual([
      expect.stringMatching(new RegExp(`^[0-9a-f]{64}  dist/ai-geofence-chrome-${v}\\.zip$`)),
      expect.stringMatching(new RegExp(`^[0-9a-f]{64}  dist/ai-geofence-${v}\\.crx$`)),
      expect.stringMatching(/^[0-9a-f]{64} {2}dist\/updates\.xml$/),
      `# extension ID ${crxKey.extensionId} (deploy-config --extension-id ${crxKey.extensionId}); updates.xml points at https://ext.bank.example/ai-geofence/ai-geofence-${VERSION}.crx`,
      expect.stringMatching(new RegExp(`^[0-9a-f]{64}  dist/ai-geofence-firefox-${v}\\.zip$`)),
    ]);
  });

  it("the CRX is the Chrome store zip (no manifest key) behind a CRX3 header naming the key's ID; updates.xml points at it", () => {
    const crx = crxs[0]!;
    expect(crx.subarray(0, 4).toString('latin1')).toBe('Cr24');
    expect(crx.readUInt32LE(4)).toBe(3);
    expect(crx.subarray(12 + crx.readUInt32LE(8)).equals(zips.chrome![0]!)).toBe(true);
    // crx_id (SignedData field 1, 16 bytes) inside signed_header_data (field 10000).
    const idBytes = Buffer.from(
      [...crxKey.extensionId].map((c) => (c.charCodeAt(0) - 97).toString(16)).join(''),
      'hex',
    );
    expect(crx.subarray(12, 12 + crx.readUInt32LE(8)).includes(Buffer.concat([Buffer.from([0x0a, 16]), idBytes]))).toBe(
      true,
    );
    expect(updates[0]).toContain(`<app appid='${crxKey.extensionId}'>`);
    expect(updates[0]).toContain(
      `<updatecheck codebase='https://ext.bank.example/ai-geofence/ai-geofence-${VERSION}.crx' version='${VERSION}' />`,
    );
  });

  it('--crx-key and --codebase go together', () => {
    expect(parsePackageArgs([])).toEqual({});
    expect(() => parsePackageArgs(['--crx-key', 'k.pem'])).toThrow(/needs --codebase/);
    expect(() => parsePackageArgs(['--codebase', 'https://x.example/'])).toThrow(/needs --crx-key/);
    expect(() => parsePackageArgs(['--crx'])).toThrow();
  });

  for (const browser of ['chrome', 'firefox'] as const) {
    it(`${browser}: the zip holds exactly the built extension, manifest.json at the root, fixed dates and modes`, () => {
      const entries = readZip(zips[browser]![0]!);
      const built = join(copies[0]!, 'dist', browser);
      expect(entries.map((e) => e.path)).toEqual(filesUnder(built));
      for (const e of entries) {
        expect({
          path: e.path,
          date: e.dosDate,
          time: e.dosTime,
          madeBy: e.madeBy >> 8,
          mode: e.mode.toString(8),
        }).toEqual({
          path: e.path,
          date: 0x21,
          time: 0,
          madeBy: 3,
          mode: '100644',
        });
        if (e.path !== 'manifest.json') expect(e.data.equals(readFileSync(join(built, e.path))), e.path).toBe(true);
      }
      const manifest = JSON.parse(entries.find((e) => e.path === 'manifest.json')!.data.toString('utf8')) as Record<
        string,
        unknown
      > & {
        background: { service_worker?: string; scripts?: string[] };
        action: { default_popup: string };
        icons: Record<string, string>;
        storage: { managed_schema: string };
        default_locale?: string;
        web_accessible_resources: { resources: string[] }[];
      };
      expect(manifest.version).toBe(VERSION);
      // Every file the manifest names is in the zip (globs such as icons/* are checked by the icons).
      const named = [
        ...(manifest.background.service_worker ? [manifest.background.service_worker] : []),
        ...(manifest.background.scripts ?? []),
        manifest.action.default_popup,
        ...Object.values(manifest.icons),
        manifest.storage.managed_schema,
        ...(manifest.default_locale ? [`_locales/${manifest.default_locale}/messages.json`] : []),
        ...manifest.web_accessible_resources.flatMap((w) => w.resources).filter((r) => !r.includes('*')),
        'content.js',
      ];
      const paths = new Set(entries.map((e) => e.path));
      expect(
        named.filter((f) => !paths.has(f)),
        'files the manifest names but the zip lacks',
      ).toEqual([]);
    });
  }

  it('chrome: the store zip has no "key" (the stores refuse it); the unpacked build keeps it', () => {
    const built = JSON.parse(readFileSync(join(copies[0]!, 'dist/chrome/manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(typeof built.key).toBe('string');
    const inZip = JSON.parse(
      readZip(zips.chrome![0]!)
        .find((e) => e.path === 'manifest.json')!
        .data.toString('utf8'),
    ) as Record<string, unknown>;
    const { key: _key, ...withoutKey } = built;
    expect(inZip).toEqual(withoutKey);
    expect('key' in inZip).toBe(false);
  });

  it('firefox: the zip is the unpacked build, gecko id included', () => {
    const built = readFileSync(join(copies[0]!, 'dist/firefox/manifest.json'));
    const inZip = readZip(zips.firefox![0]!).find((e) => e.path === 'manifest.json')!.data;
    expect(inZip.equals(built)).toBe(true);
    expect(
      (JSON.parse(inZip.toString('utf8')) as { browser_specific_settings: { gecko: { id: string } } })
        .browser_specific_settings.gecko.id,
    ).toBe('ai-geofence@bank.example');
  });
});
