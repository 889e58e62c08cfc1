// Generates tests/unit/auth/jwks_fixture.json with jose and node:crypto, an
// implementation independent of auth/: a JWKS of good and deliberately bad
// keys, and tokens signed by the good keys (exp in 2100) for the unit test.
//   node tests/lib/jwks_fixture.mjs > tests/unit/auth/jwks_fixture.json
import * as jose from 'jose';
import crypto from 'node:crypto';

const jwk = async (pub, extra) => ({ ...(await jose.exportJWK(pub)), ...extra });
const gen = (alg, opts) => jose.generateKeyPair(alg, { extractable: true, ...opts });

const rs256 = await gen('RS256');
const rsNoAlg = await gen('RS256');
const rs384 = await gen('RS384');
const rs512 = await gen('RS512', { modulusLength: 3072 });
const es256 = await gen('ES256');
const es384 = await gen('ES384');
const ed = await gen('EdDSA', { crv: 'Ed25519' });
const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
const x25519 = crypto.generateKeyPairSync('x25519');
const other = await gen('ES256');

const offCurve = await jwk(other.publicKey, { kid: 'bad-offcurve', alg: 'ES256' });
// Flip one bit of y: the point is no longer on P-256.
const y = Buffer.from(offCurve.y, 'base64url'); y[31] ^= 1; offCurve.y = y.toString('base64url');
const shortX = await jwk(other.publicKey, { kid: 'bad-short-x', alg: 'ES256' });
shortX.x = Buffer.from(shortX.x, 'base64url').subarray(1).toString('base64url');

const good = [
  await jwk(rs256.publicKey, { kid: 'rsa-1', alg: 'RS256', use: 'sig' }),
  await jwk(rsNoAlg.publicKey, { kid: 'rsa-noalg' }),
  await jwk(rs384.publicKey, { kid: 'rsa-384', alg: 'RS384', key_ops: ['verify'] }),
  await jwk(rs512.publicKey, { kid: 'rsa-512', alg: 'RS512' }),
  await jwk(es256.publicKey, { kid: 'ec-1', alg: 'ES256' }),
  await jwk(es384.publicKey, { kid: 'ec-384' }),
  await jwk(ed.publicKey, { kid: 'ed-1', alg: 'EdDSA' }),
];
const bad = [
  { why: 'RSA 1024 bits', key: { ...small.publicKey.export({ format: 'jwk' }), kid: 'bad-1024', alg: 'RS256' } },
  { why: 'point off curve', key: offCurve },
  { why: 'short x', key: shortX },
  { why: 'symmetric key', key: { kty: 'oct', k: 'c2VjcmV0', kid: 'bad-oct', alg: 'HS256' } },
  { why: 'use enc', key: await jwk(other.publicKey, { kid: 'bad-enc', use: 'enc' }) },
  { why: 'key_ops encrypt', key: await jwk(other.publicKey, { kid: 'bad-ops', key_ops: ['encrypt'] }) },
  { why: 'duplicate kid', key: await jwk(other.publicKey, { kid: 'rsa-1' }) },
  { why: 'no kid', key: await jwk(other.publicKey, {}) },
  { why: 'path kid', key: await jwk(other.publicKey, { kid: '../../etc/passwd' }) },
  { why: 'ES256 on P-384', key: await jwk(es384.publicKey, { kid: 'bad-crv-alg', alg: 'ES256' }) },
  { why: 'RS256 on EC', key: await jwk(es256.publicKey, { kid: 'bad-kty-alg', alg: 'RS256' }) },
  { why: 'alg none', key: await jwk(rs256.publicKey, { kid: 'bad-none', alg: 'none' }) },
  { why: 'HS256 on RSA', key: await jwk(rs256.publicKey, { kid: 'bad-hs', alg: 'HS256' }) },
  { why: 'X25519', key: { ...x25519.publicKey.export({ format: 'jwk' }), kid: 'bad-x25519' } },
  { why: 'not an object', key: 'rsa-1' },
];
const keys = [...good];
bad.forEach((b, i) => keys.splice(1 + 2 * i, 0, b.key)); // interleave

const claims = { iss: 'https://idp.test', aud: 'weft', sub: 'alice', exp: 4102444800 };
const sign = (alg, kid, key) =>
  new jose.SignJWT(claims).setProtectedHeader({ alg, kid }).sign(key);
const tokens = [
  { kid: 'rsa-1', alg: 'RS256', token: await sign('RS256', 'rsa-1', rs256.privateKey) },
  { kid: 'rsa-noalg', alg: 'RS256', token: await sign('RS256', 'rsa-noalg', rsNoAlg.privateKey) },
  { kid: 'rsa-384', alg: 'RS384', token: await sign('RS384', 'rsa-384', rs384.privateKey) },
  { kid: 'rsa-512', alg: 'RS512', token: await sign('RS512', 'rsa-512', rs512.privateKey) },
  { kid: 'ec-1', alg: 'ES256', token: await sign('ES256', 'ec-1', es256.privateKey) },
  { kid: 'ec-384', alg: 'ES384', token: await sign('ES384', 'ec-384', es384.privateKey) },
  { kid: 'ed-1', alg: 'EdDSA', token: await sign('EdDSA', 'ed-1', ed.privateKey) },
];
// The right kid, the wrong key: every one must fail its signature check.
const forged = [
  { kid: 'rsa-1', token: await sign('RS256', 'rsa-1', rsNoAlg.privateKey) },
  { kid: 'ec-1', token: await sign('ES256', 'ec-1', other.privateKey) },
  { kid: 'ed-1', token: await sign('EdDSA', 'ed-1', (await gen('EdDSA', { crv: 'Ed25519' })).privateKey) },
];
// A key with no alg member is pinned to RS256: an RS384 token under it fails.
const unpinned = await sign('RS384', 'rsa-noalg', rsNoAlg.privateKey);
process.stdout.write(JSON.stringify({
  jwks: { keys }, good: good.length, bad: bad.map((b) => b.why), tokens, forged, unpinned,
}, null, 1) + '\n');
