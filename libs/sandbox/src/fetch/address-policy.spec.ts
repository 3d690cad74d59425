import { describe, expect, it } from 'vitest';
import { AddressPolicy, parseIPv4, parseIPv6 } from './address-policy';

describe('parseIPv4 (inet_aton forms)', () => {
  it.each([
    ['127.0.0.1', 0x7f000001],
    ['2130706433', 0x7f000001],
    ['0x7f000001', 0x7f000001],
    ['0x7f.1', 0x7f000001],
    ['0177.0.0.1', 0x7f000001],
    ['127.1', 0x7f000001],
    ['0xA9.0xFE.0xA9.0xFE', 0xa9fea9fe],
    ['0', 0],
  ])('%s', (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each(['256.0.0.1', '1.2.3.4.5', '08.0.0.1', 'example.com', '', '1..2', '4294967296'])(
    'rejects %s',
    (text) => {
      expect(parseIPv4(text)).toBeUndefined();
    },
  );
});

describe('parseIPv6', () => {
  it('reads compressed, bracketed, zoned and dotted forms', () => {
    expect(parseIPv6('::1')).toBe(1n);
    expect(parseIPv6('[::1]')).toBe(1n);
    expect(parseIPv6('fe80::1%eth0')).toBe((0xfe80n << 112n) | 1n);
    expect(parseIPv6('::ffff:127.0.0.1')).toBe(parseIPv6('::ffff:7f00:1'));
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
  });

  it.each([':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::ffff:300.0.0.1'])(
    'rejects %s',
    (text) => {
      expect(parseIPv6(text)).toBeUndefined();
    },
  );
});

describe('AddressPolicy', () => {
  const strict = new AddressPolicy();
  const permissive = new AddressPolicy({ allowPrivateNetwork: true });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.5.6.7', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['10.1.2.3', 'private network'],
    ['172.16.0.1', 'private network'],
    ['192.168.1.1', 'private network'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'cloud metadata endpoint'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback (127.0.0.1 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback (127.0.0.1 inside IPv6)'],
    ['::ffff:a9fe:a9fe', 'cloud metadata endpoint (169.254.169.254 inside IPv6)'],
    ['64:ff9b::10.0.0.1', 'private network (10.0.0.1 inside IPv6)'],
    ['2002:7f00:1::', 'loopback (127.0.0.1 inside IPv6)'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'cloud metadata endpoint (AWS IPv6)'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'IETF protocol assignments (incl. Teredo)'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(strict.check(address)).toEqual({ allowed: false, address, reason });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8'])(
    'allows public %s',
    (address) => {
      expect(strict.check(address).allowed).toBe(true);
    },
  );

  it('allowPrivateNetwork opens private ranges but never cloud metadata', () => {
    expect(permissive.check('127.0.0.1').allowed).toBe(true);
    expect(permissive.check('10.0.0.1').allowed).toBe(true);
    expect(permissive.check('::ffff:127.0.0.1').allowed).toBe(true);
    expect(permissive.check('169.254.169.254')).toMatchObject({
      allowed: false,
      reason: 'cloud metadata endpoint',
    });
    expect(permissive.check('::ffff:169.254.169.254').allowed).toBe(false);
    expect(permissive.check('fd00:ec2::254').allowed).toBe(false);
  });

  it('trusts exactly the listed addresses and ranges', () => {
    const policy = new AddressPolicy({ trusted: ['127.0.0.1', '10.1.0.0/16'] });
    expect(policy.check('127.0.0.1').allowed).toBe(true);
    expect(policy.check('::ffff:127.0.0.1').allowed).toBe(true);
    expect(policy.check('127.0.0.2').allowed).toBe(false);
    expect(policy.check('10.1.200.3').allowed).toBe(true);
    expect(policy.check('10.2.0.1').allowed).toBe(false);
    expect(() => new AddressPolicy({ trusted: ['nope'] })).toThrow(/not an IP address/);
  });

  it('refuses what is not an address at all', () => {
    expect(strict.check('example.com')).toMatchObject({ allowed: false, reason: 'not an IP address' });
  });
});
