#!/usr/bin/env node
/**
 * `npm run package`: builds both browsers and writes the store-ready, reproducible zips
 * dist/ai-geofence-chrome-<version>.zip and dist/ai-geofence-firefox-<version>.zip, printing each
 * SHA-256 in `sha256sum` format. See docs/packaging.md.
 *
 * `npm run package -- --crx-key KEY.pem --codebase URL` also packs the Chrome zip (no manifest `key`)
 * into a CRX3 signed with IT's own key, writes the `updates.xml` that points at it, and prints the
 * extension ID that key gives (src/cli/crx.ts).
 *
 * Same sources and toolchain → same bytes: entries in byte order of their paths, every timestamp
 * 1980-01-01 00:00 (the zip epoch), every file mode 0644, no directory entries, no extra fields,
 * deflate at level 9 (or stored when that is not smaller).
 *
 * The zip is written here rather than with a library: the subset we need (files only, under 4 GiB,
 * under 65,535 entries) is ~100 lines that say exactly what every byte is, whereas archiver, jszip
 * or yazl stamp the current time and the file system's modes unless each is overridden, and would be
 * one more dependency in the chain a store reviewer has to trust.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { BROWSERS, buildBrowser, importTs, manifestFor } from '../build.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** 1980-01-01 00:00:00 in MS-DOS date/time format: the earliest instant a zip can record. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** "Version made by": Unix (3) in the high byte, so readers honour the mode in the external attributes. */
const MADE_BY_UNIX = (3 << 8) | 20;
const VERSION_NEEDED = 20; // 2.0: deflate
/** Regular file, rw-r--r--, in the high 16 bits of the external attributes (Unix convention). */
const FILE_MODE = (0o100644 << 16) >>> 0;
const UTF8_NAMES = 1 << 11;

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (ISO 3309, as zip uses it). */
export function crc32(buf) {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * A zip archive of `files` ({ path, data }), byte-for-byte determined by its input: sorted by path,
 * fixed timestamps and modes.
 */
export function zipFiles(files) {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].path === sorted[i - 1].path) throw new Error(`duplicate zip entry ${sorted[i].path}`);
  if (sorted.length > 0xffff) throw new Error('more than 65,535 files: this writer does not do zip64');
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { path, data } of sorted) {
    if (path.startsWith('/') || path.includes('\\') || path.split('/').includes('..'))
      throw new Error(`bad zip entry name ${path}`);
    const name = Buffer.from(path, 'utf8');
    const deflated = deflateRawSync(data, { level: 9, memLevel: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = crc32(data);
    const flags = /^[\x20-\x7e]*$/.test(path) ? 0 : UTF8_NAMES;
    if (offset + 30 + name.length + body.length > 0xffffffff)
      throw new Error('archive over 4 GiB: this writer does not do zip64');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // no extra field: it is where other tools put timestamps and uids
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra field length, comment length, disk number, internal attributes: all 0 (Buffer.alloc)
    central.writeUInt32LE(FILE_MODE, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += 30 + name.length + body.length;
  }
  const cdSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Every file under `dir`, as zip paths ('/'-separated, relative to `dir`). */
export async function readTree(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath ?? e.path, e.name);
    files.push({ path: relative(dir, full).split(sep).join('/'), data: await readFile(full) });
  }
  return files;
}

/**
 * The files that go into a browser's store zip. The Chrome/Edge stores refuse a manifest carrying
 * `key` ("key field is not allowed in manifest") and assign their own ID; the unpacked dist/chrome
 * keeps it for force-install from our own host and for the tests.
 */
export async function storeFiles(browser, dir) {
  const files = await readTree(dir);
  const manifest = files.find((f) => f.path === 'manifest.json');
  if (!manifest) throw new Error(`${dir} has no manifest.json: build it first`);
  if (browser === 'chrome') {
    const m = JSON.parse(manifest.data.toString('utf8'));
    delete m.key;
    manifest.data = Buffer.from(`${JSON.stringify(m, null, 2)}\n`);
  }
  return files;
}

export const zipName = (browser, version) => `ai-geofence-${browser}-${version}.zip`;
export const crxName = (version) => `ai-geofence-${version}.crx`;
const UPDATES_XML = 'updates.xml';

/**
 * Build every browser (into dist/<browser>/) and write its store zip to dist/; returns what was
 * written. `log` gets one `sha256sum` line per zip.
 */
export async function packageAll({ log = console.log, crx } = {}) {
  // Check the key and the codebase before building: a mistake there must not cost a build.
  const crxTools = crx ? await importTs('src/cli/crx.ts') : null;
  const crxKey = crx
    ? crxTools.parseCrxKey(
        await readFile(crx.keyPath, 'utf8').catch((e) => {
          throw new Error(`cannot read --crx-key "${crx.keyPath}": ${e.message}`);
        }),
      )
    : null;
  if (crx) crxTools.crxCodebase(crx.codebase, crxName('0'));
  const written = [];
  const write = async (name, bytes, entry) => {
    const file = join(ROOT, 'dist', name);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes, { mode: 0o644 });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    log(`${sha256}  ${relative(ROOT, file).split(sep).join('/')}`);
    written.push({ ...entry, file, sha256, bytes: bytes.length });
  };
  for (const browser of BROWSERS) {
    const dir = await buildBrowser(browser, { minify: true });
    const { version } = await manifestFor(browser);
    const zip = zipFiles(await storeFiles(browser, dir));
    await write(zipName(browser, version), zip, { browser, kind: 'zip' });
    if (browser === 'chrome' && crxKey) {
      // The store zip, manifest `key` removed: the CRX key alone decides the ID.
      const codebase = crxTools.crxCodebase(crx.codebase, crxName(version));
      await write(crxName(version), crxTools.packCrx3(zip, crxKey), {
        browser,
        kind: 'crx',
        extensionId: crxKey.extensionId,
      });
      const xml = Buffer.from(crxTools.renderUpdatesXml({ extensionId: crxKey.extensionId, version, codebase }));
      await write(UPDATES_XML, xml, { browser, kind: 'updates', extensionId: crxKey.extensionId });
      // A comment line: `sha256sum -c` skips it, so stdout stays a checksum file.
      log(
        `# extension ID ${crxKey.extensionId} (deploy-config --extension-id ${crxKey.extensionId}); updates.xml points at ${codebase}`,
      );
    }
  }
  return written;
}

const PACKAGE_USAGE = `Usage: npm run package [-- --crx-key KEY.pem --codebase URL]

Builds both browsers and writes dist/ai-geofence-chrome-<version>.zip and
dist/ai-geofence-firefox-<version>.zip, printing their SHA-256 (sha256sum format).
  --crx-key KEY.pem   also pack the Chrome zip into dist/ai-geofence-<version>.crx signed with this
                      key (make one with: npm run -s cli -- keygen --crx --out DIR), write
                      dist/updates.xml, and print the extension ID the key gives
  --codebase URL      where the .crx will be served: its URL, or its folder ending in /`;

/** `--crx-key KEY.pem --codebase URL`, both or neither. */
export function parsePackageArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'crx-key': { type: 'string' }, codebase: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new Error(`${e.message}\n${PACKAGE_USAGE}`);
  }
  if (values.help) return { help: true };
  const keyPath = values['crx-key'];
  const codebase = values.codebase;
  if (keyPath === undefined && codebase === undefined) return {};
  if (keyPath === undefined)
    throw new Error(
      '--codebase needs --crx-key KEY.pem (the key that signs the CRX; make one with: npm run -s cli -- keygen --crx --out DIR)',
    );
  if (codebase === undefined)
    throw new Error(
      '--crx-key needs --codebase URL: where the .crx will be served (the .crx URL, or its folder ending in /)',
    );
  return { crx: { keyPath, codebase } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // The deflate bytes depend on the zlib inside Node: record it beside the hashes (stderr, so
  // stdout stays a valid `sha256sum -c` file).
  let options;
  try {
    options = parsePackageArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(PACKAGE_USAGE);
    process.exit(0);
  }
  console.error(`packaging with node ${process.versions.node}, zlib ${process.versions.zlib}`);
  try {
    await packageAll(options);
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
}
