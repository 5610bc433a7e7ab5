import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sax from 'sax';
import { afterAll, describe, expect, it } from 'vitest';
import { crxCodebase, extensionIdFromSpki, generateCrxKeyPem, packCrx3, parseCrxKey, renderUpdatesXml } from './crx.ts';
import { runInProcess } from './test-helpers.ts';

/** Protobuf reader for the subset crx3.proto uses: varints and length-delimited fields. */
function readFields(buf: Buffer): Array<{ field: number; bytes: Buffer }> {
  const out: Array<{ field: number; bytes: Buffer }> = [];
  let p = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[p++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
  };
  while (p < buf.length) {
    const tag = varint();
    expect(tag & 7, 'only length-delimited fields').toBe(2);
    const len = varint();
    out.push({ field: tag >>> 3, bytes: buf.subarray(p, p + len) });
    p += len;
  }
  expect(p).toBe(buf.length);
  return out;
}

/** Verify a CRX3 as components/crx_file/crx_verifier.cc does; returns the ID and the zip. */
function verifyCrx3(crx: Buffer): { id: string; zip: Buffer; proofs: number[] } {
  expect(crx.subarray(0, 4).toString('latin1')).toBe('Cr24');
  expect(crx.readUInt32LE(4)).toBe(3);
  const headerSize = crx.readUInt32LE(8);
  const header = crx.subarray(12, 12 + headerSize);
  const zip = crx.subarray(12 + headerSize);
  const fields = readFields(header);
  const signedHeaderData = fields.find((f) => f.field === 10000)!.bytes;
  const declared = readFields(signedHeaderData).find((f) => f.field === 1)!.bytes;
  expect(declared.length).toBe(16);
  const message = Buffer.concat([Buffer.from('CRX3 SignedData\x00', 'latin1'), Buffer.alloc(4), signedHeaderData, zip]);
  message.writeUInt32LE(signedHeaderData.length, 16);
  let id = '';
  const proofs: number[] = [];
  for (const f of fields.filter((x) => x.field === 2 || x.field === 3)) {
    const proof = readFields(f.bytes);
    const spki = proof.find((x) => x.field === 1)!.bytes;
    const signature = proof.find((x) => x.field === 2)!.bytes;
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(key.asymmetricKeyType).toBe(f.field === 2 ? 'rsa' : 'ec');
    expect(verify('sha256', message, key, signature), 'signature over the signed data and the zip').toBe(true);
    proofs.push(f.field);
    if (createHash('sha256').update(spki).digest().subarray(0, 16).equals(declared)) {
      id = [...createHash('sha256').update(spki).digest('hex').slice(0, 32)]
        .map((c) => 'abcdefghijklmnop'[parseInt(c, 16)])
        .join('');
    }
  }
  expect(id, 'one proof is by the key the CRX ID names').not.toBe('');
  return { id, zip, proofs };
}

const ZIP = Buffer.from('PK\x05\x06'.padEnd(22, '\0'), 'latin1');

describe('CRX3 packing', () => {
  it('signs with an RSA key: verifiable, the ID named in the header, the zip unchanged', () => {
    const key = parseCrxKey(generateCrxKeyPem());
    expect(key.kind).toBe('rsa');
    const crx = packCrx3(ZIP, key);
    const checked = verifyCrx3(crx);
    expect(checked.id).toBe(key.extensionId);
    expect(checked.proofs).toEqual([2]);
    expect(checked.zip.equals(ZIP)).toBe(true);
    // RSA PKCS#1 v1.5 is deterministic: the same key and zip give the same CRX.
    expect(packCrx3(ZIP, key).equals(crx)).toBe(true);
  });

  it('signs with an ECDSA P-256 key', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const key = parseCrxKey(pem);
    const checked = verifyCrx3(packCrx3(ZIP, key));
    expect(checked.proofs).toEqual([3]);
    expect(checked.id).toBe(key.extensionId);
  });

  it('a tampered zip fails verification', () => {
    const crx = packCrx3(Buffer.concat([ZIP, Buffer.from('x')]), parseCrxKey(generateCrxKeyPem()));
    crx[crx.length - 1] = 0x79;
    expect(() => verifyCrx3(crx)).toThrow();
  });

  it('derives the ID as Chromium does (the manifest key gives the documented ID)', async () => {
    const { MANIFEST_KEY, EXTENSION_ID } = await import('../core/config/identity.ts');
    expect(extensionIdFromSpki(Buffer.from(MANIFEST_KEY, 'base64'))).toBe(EXTENSION_ID);
  });

  it('reads an openssl-made PKCS#1 key, refuses weak, wrong-type, public and JSON keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aig-crx-'));
    try {
      execFileSync('openssl', ['genrsa', '-traditional', '-out', join(dir, 'k.pem'), '2048'], { stdio: 'ignore' });
      expect(parseCrxKey(readFileSync(join(dir, 'k.pem'), 'utf8')).kind).toBe('rsa');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => parseCrxKey(weak)).toThrow(/at least 2048/);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parseCrxKey(ed)).toThrow(/cannot sign a CRX/);
    const pub = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => parseCrxKey(pub)).toThrow(/public key/);
    expect(() => parseCrxKey('{"kty":"OKP"}')).toThrow(/JSON key/);
  });
});

describe('updates.xml and codebase', () => {
  it('names the app, the version and the CRX URL', () => {
    const xml = renderUpdatesXml({
      extensionId: 'a'.repeat(32),
      version: '1.2.3',
      codebase: 'https://ext.bank.example/a&b/ai-geofence-1.2.3.crx',
    });
    expect(xml).toContain("<app appid='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>");
    expect(xml).toContain(
      "<updatecheck codebase='https://ext.bank.example/a&amp;b/ai-geofence-1.2.3.crx' version='1.2.3' />",
    );
    expect(
      xml.startsWith(
        "<?xml version='1.0' encoding='UTF-8'?>\n<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>",
      ),
    ).toBe(true);
    // Well-formed XML, read back by a strict parser: the attribute values survive escaping.
    const seen: Record<string, Record<string, string>> = {};
    const parser = sax.parser(true);
    parser.onopentag = (tag) => void (seen[tag.name] = tag.attributes);
    parser.write(xml).close();
    expect(seen.app).toEqual({ appid: 'a'.repeat(32) });
    expect(seen.updatecheck).toEqual({
      codebase: 'https://ext.bank.example/a&b/ai-geofence-1.2.3.crx',
      version: '1.2.3',
    });
  });

  it('takes the CRX URL or its folder, and refuses anything ambiguous or insecure', () => {
    expect(crxCodebase('https://ext.bank.example/ai/', 'x-1.crx')).toBe('https://ext.bank.example/ai/x-1.crx');
    expect(crxCodebase('https://ext.bank.example/ai/pinned.crx', 'x-1.crx')).toBe(
      'https://ext.bank.example/ai/pinned.crx',
    );
    expect(crxCodebase('http://127.0.0.1:8080/', 'x.crx')).toBe('http://127.0.0.1:8080/x.crx');
    expect(() => crxCodebase('https://ext.bank.example/ai', 'x.crx')).toThrow(/ending in "\/"/);
    expect(() => crxCodebase('http://ext.bank.example/', 'x.crx')).toThrow(/https/);
    expect(() => crxCodebase('https://ext.bank.example/?v=1', 'x.crx')).toThrow(/query/);
  });
});

describe('keygen --crx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aig-keygen-crx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 0600 PEM and prints the ID it gives; refuses to overwrite', async () => {
    const r = await runInProcess(['keygen', '--crx', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const path = join(dir, 'ai-geofence-crx.pem');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = parseCrxKey(readFileSync(path, 'utf8'));
    expect(r.stdout).toContain(`extension ID: ${key.extensionId}`);
    expect(r.stdout).toContain(`--extension-id ${key.extensionId}`);
    const again = await runInProcess(['keygen', '--crx', '--out', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const alg = await runInProcess(['keygen', '--crx', '--alg', 'ES256', '--out', dir]);
    expect(alg.code).toBe(2);
  });
});
