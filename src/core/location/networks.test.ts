import { describe, expect, it } from 'vitest';
import { parseAddress, parseNetworks } from './networks.ts';

const TABLE = [
  { cidr: '203.0.113.0/24', country: 'HK' },
  { cidr: '203.0.113.16/28', country: 'HK', zone: 'HK-OFFICE' },
  { cidr: '198.51.100.0/24', country: 'US', zone: 'NY-OFFICE' },
  { cidr: '2001:db8::/32', country: 'GB' },
  { cidr: '2001:db8:1::/48', country: 'GB', zone: 'LDN-OFFICE' },
  { cidr: '127.0.0.0/8', country: 'US' },
];

describe('networks table', () => {
  it('finds the most specific range for IPv4, IPv4-mapped IPv6 and IPv6 addresses', () => {
    const t = parseNetworks(TABLE);
    expect(t.lookup('203.0.113.200')).toEqual({ cidr: '203.0.113.0/24', country: 'HK' });
    expect(t.lookup('203.0.113.17')).toMatchObject({ zone: 'HK-OFFICE' });
    expect(t.lookup('::ffff:203.0.113.17')).toMatchObject({ zone: 'HK-OFFICE' });
    expect(t.lookup('::ffff:cb00:7111')).toMatchObject({ zone: 'HK-OFFICE' });
    expect(t.lookup('2001:db8:1:2::9')).toMatchObject({ country: 'GB', zone: 'LDN-OFFICE' });
    expect(t.lookup('2001:db8:ffff::1')).toEqual({ cidr: '2001:db8::/32', country: 'GB' });
    expect(t.lookup('2001:db9::1')).toBeNull();
    expect(t.lookup('192.0.2.1')).toBeNull();
    expect(t.lookup('not an address')).toBeNull();
    expect(t.zones()).toEqual(['HK-OFFICE', 'LDN-OFFICE', 'NY-OFFICE']);
    expect(parseNetworks({ networks: TABLE }).size).toBe(6);
  });

  it('parses the address forms a socket reports', () => {
    expect(parseAddress('::1')).toEqual({ v6: true, value: 1n });
    expect(parseAddress('::')).toEqual({ v6: true, value: 0n });
    expect(parseAddress('::1.2.3.4')).toEqual({ v6: true, value: 0x01020304n });
    expect(parseAddress('1:2:3:4:5:6:7:8')).toMatchObject({ v6: true });
    expect(parseAddress('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseAddress('1::2::3')).toBeNull();
    expect(parseAddress('256.1.1.1')).toBeNull();
    expect(parseAddress('01.1.1.1')).toBeNull();
    expect(parseAddress('fe80::1%eth0')).toBeNull();
  });

  it('names the entry that is wrong', () => {
    expect(() => parseNetworks({})).toThrow(/expected an array/);
    expect(() => parseNetworks([{ cidr: '203.0.113.0', country: 'HK' }])).toThrow(
      /networks\[0\]: "203.0.113.0" is not a CIDR/,
    );
    expect(() => parseNetworks([{ cidr: '203.0.113.1/24', country: 'HK' }])).toThrow(/bits set beyond/);
    expect(() => parseNetworks([{ cidr: '10.0.0.0/33', country: 'HK' }])).toThrow(/not a CIDR/);
    expect(() => parseNetworks([TABLE[0], { cidr: '10.0.0.0/8', country: 'UK' }])).toThrow(
      /networks\[1\].*did you mean "GB"/,
    );
    expect(() => parseNetworks([{ cidr: '10.0.0.0/8', country: 'HK', zone: 'X' }])).toThrow(/"zone"/);
    expect(() => parseNetworks([{ cidr: '10.0.0.0/8', country: 'HK', city: 'Central' }])).toThrow(
      /unknown field "city"/,
    );
  });
});
