// Independent OIDC peer for the authentication tests: keys, tokens and JWKS
// made by jose (and node:crypto for the hand-crafted malformed ones), served
// on loopback. Usage: node oidc_peer.mjs PORT_FILE
//   /a/.well-known/openid-configuration, /a/jwks   issuer A (discovery)
//   /b/jwks                                        issuer B (explicit jwks_uri)
//   /c/.well-known/openid-configuration            issuer C, lies about its issuer
//   /mint/CASE                                     a token for one battery case
//   /user?sub=S&groups=G1,G2                       a valid token of issuer A for a person
//   /control/rotate, /control/revoke/KID           change A's JWKS
//   /stats                                         fetch counters (JSON)
//   /attacker/jwks, /attacker/x5u                  URLs planted in jku/x5u headers
import * as jose from 'jose';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const portFile = process.argv[2];
const gen = (alg, opts) => jose.generateKeyPair(alg, { extractable: true, ...opts });
const keys = {
  rsa1: await gen('RS256'), rsa2: await gen('RS256'), ec1: await gen('ES256'),
  ec384: await gen('ES384'), ed1: await gen('EdDSA', { crv: 'Ed25519' }),
  b1: await gen('RS256'), attacker: await gen('RS256'), attackerEc: await gen('ES256'),
};
const pub = async (k, kid, alg) => ({ ...(await jose.exportJWK(k.publicKey)), kid, alg, use: 'sig' });
const jwksA = [await pub(keys.rsa1, 'rsa-1', 'RS256'), await pub(keys.ec1, 'ec-1', 'ES256'),
  await pub(keys.ec384, 'ec384-1', 'ES384'), await pub(keys.ed1, 'ed-1', 'EdDSA')];
const jwksB = [await pub(keys.b1, 'b-rsa-1', 'RS256')];
let broken = false; // /a/jwks answers 500 while set (IdP outage)
const stats = { a_jwks: 0, b_jwks: 0, a_discovery: 0, attacker: 0 };

let base = '';
const iss = (x) => `${base}/${x}`;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (s) => Buffer.from(s).toString('base64url');
const claims = (extra = {}) => ({ iss: iss('a'), aud: 'weft', sub: 'alice',
  groups: ['team-sales', 'ops'], iat: now(), exp: now() + 600, jti: crypto.randomUUID(), ...extra });
const sign = (payload, header, key) => new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
// Signs arbitrary header/payload bytes with node:crypto (for what jose refuses to make).
const rawSign = (headerJson, payloadJson, key, alg) => {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  const md = { RS256: 'sha256', ES256: 'sha256' }[alg];
  const sig = crypto.sign(md, Buffer.from(input), alg === 'ES256'
    ? { key: key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${sig.toString('base64url')}`;
};
const parts = (t) => t.split('.');

const cases = {
  'ok-rs256': () => sign(claims(), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'ok-es256': () => sign(claims(), { alg: 'ES256', kid: 'ec-1' }, keys.ec1.privateKey),
  'ok-es384': () => sign(claims(), { alg: 'ES384', kid: 'ec384-1' }, keys.ec384.privateKey),
  'ok-eddsa': () => sign(claims(), { alg: 'EdDSA', kid: 'ed-1' }, keys.ed1.privateKey),
  'ok-aud-array': () => sign(claims({ aud: ['other', 'weft'] }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'ok-b-issuer': () => sign(claims({ iss: iss('b'), sub: 'bob' }), { alg: 'RS256', kid: 'b-rsa-1' }, keys.b1.privateKey),
  'ok-expired-within-leeway': () => sign(claims({ exp: now() - 5 }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'ok-rsa-2': () => sign(claims({ sub: 'rotated' }), { alg: 'RS256', kid: 'rsa-2' }, keys.rsa2.privateKey),
  'ok-custom-groups-claim': () => sign(claims({ 'https://weft.dev/teams': ['data-eng'] }),
    { alg: 'ES256', kid: 'ec-1' }, keys.ec1.privateKey),
  'c-issuer': () => sign(claims({ iss: iss('c') }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'alg-none': () => new jose.UnsecuredJWT(claims()).encode(),
  'alg-none-with-kid-and-sig': async () => {
    const [, p, s] = parts(await cases['ok-rs256']());
    return `${b64(JSON.stringify({ alg: 'none', kid: 'rsa-1' }))}.${p}.${s}`;
  },
  'hs256-rsa-public-key': async () => {
    // Key confusion: the RSA public key (PEM) used as an HMAC secret.
    const pem = await jose.exportSPKI(keys.rsa1.publicKey);
    return sign(claims(), { alg: 'HS256', kid: 'rsa-1' }, new TextEncoder().encode(pem));
  },
  'key-not-in-jwks': () => sign(claims(), { alg: 'RS256', kid: 'attacker-1' }, keys.attacker.privateKey),
  'attacker-key-with-real-kid': () => sign(claims(), { alg: 'RS256', kid: 'rsa-1' }, keys.attacker.privateKey),
  'unknown-kid': () => sign(claims(), { alg: 'RS256', kid: 'rsa-99' }, keys.rsa1.privateKey),
  'kid-path-traversal': () => sign(claims(), { alg: 'RS256', kid: '../../../../../etc/passwd' }, keys.rsa1.privateKey),
  'kid-sql-injection': () => sign(claims(), { alg: 'RS256', kid: "rsa-1' OR '1'='1" }, keys.rsa1.privateKey),
  'kid-missing': () => sign(claims(), { alg: 'RS256' }, keys.rsa1.privateKey),
  'jwk-header': async () => sign(claims(), { alg: 'RS256', kid: 'attacker-jwk',
    jwk: await jose.exportJWK(keys.attacker.publicKey) }, keys.attacker.privateKey),
  'jwk-header-real-kid': async () => sign(claims(), { alg: 'RS256', kid: 'rsa-1',
    jwk: await jose.exportJWK(keys.attacker.publicKey) }, keys.attacker.privateKey),
  'jku-header': () => sign(claims(), { alg: 'RS256', kid: 'attacker-jku',
    jku: `${base}/attacker/jwks` }, keys.attacker.privateKey),
  'x5u-header': () => sign(claims(), { alg: 'RS256', kid: 'rsa-1',
    x5u: `${base}/attacker/x5u` }, keys.attacker.privateKey),
  'tampered-payload': async () => {
    const [h, , s] = parts(await cases['ok-rs256']());
    return `${h}.${b64(JSON.stringify(claims({ sub: 'admin', groups: ['platform-admins'] })))}.${s}`;
  },
  'stripped-signature': async () => parts(await cases['ok-rs256']()).slice(0, 2).join('.') + '.',
  'truncated-signature': async () => (await cases['ok-rs256']()).slice(0, -4),
  'signature-bit-flip': async () => {
    const [h, p, s] = parts(await cases['ok-rs256']());
    const sig = Buffer.from(s, 'base64url'); sig[10] ^= 1;
    return `${h}.${p}.${sig.toString('base64url')}`;
  },
  'es256-der-signature': () => {
    const h = b64(JSON.stringify({ alg: 'ES256', kid: 'ec-1' })), p = b64(JSON.stringify(claims()));
    const der = crypto.sign('sha256', Buffer.from(`${h}.${p}`), { key: keys.ec1.privateKey, dsaEncoding: 'der' });
    return `${h}.${p}.${der.toString('base64url')}`;
  },
  'rsa-token-with-ec-kid': () => sign(claims(), { alg: 'RS256', kid: 'ec-1' }, keys.rsa1.privateKey),
  'ec-token-with-rsa-kid': () => sign(claims(), { alg: 'ES256', kid: 'rsa-1' }, keys.ec1.privateKey),
  'rs384-with-rs256-key': () => sign(claims(), { alg: 'RS384', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'expired': () => sign(claims({ exp: now() - 300 }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'nbf-in-future': () => sign(claims({ nbf: now() + 300 }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'wrong-iss': () => sign(claims({ iss: 'https://evil.example' }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'iss-b-signed-by-a': () => sign(claims({ iss: iss('b') }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'wrong-aud': () => sign(claims({ aud: 'not-weft' }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'aud-array-without-ours': () => sign(claims({ aud: ['a', 'b'] }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'missing-exp': () => { const c = claims(); delete c.exp;
    return sign(c, { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey); },
  'float-exp': () => rawSign(JSON.stringify({ alg: 'RS256', kid: 'rsa-1' }),
    JSON.stringify(claims({ exp: now() + 600.5 })), keys.rsa1.privateKey, 'RS256'),
  'string-exp': () => sign(claims({ exp: String(now() + 600) }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'missing-sub': () => { const c = claims(); delete c.sub;
    return sign(c, { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey); },
  'oversized': () => sign(claims({ filler: 'x'.repeat(12000) }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'malformed-base64': async () => {
    const [h, p, s] = parts(await cases['ok-rs256']());
    return `${h}==.${p}.${s}`;
  },
  'malformed-json': () => `${b64('{"alg":"RS256","kid":"rsa-1"')}.${b64(JSON.stringify(claims()))}.c2ln`,
  'duplicate-sub': () => rawSign(JSON.stringify({ alg: 'RS256', kid: 'rsa-1' }),
    JSON.stringify(claims()).replace('"sub":"alice"', '"sub":"alice","sub":"admin"'), keys.rsa1.privateKey, 'RS256'),
  'crit-header': () => rawSign(JSON.stringify({ alg: 'RS256', kid: 'rsa-1', crit: ['x-weft'], 'x-weft': 1 }),
    JSON.stringify(claims()), keys.rsa1.privateKey, 'RS256'),
  'groups-not-strings': () => sign(claims({ groups: [1, 2] }), { alg: 'RS256', kid: 'rsa-1' }, keys.rsa1.privateKey),
  'two-parts': async () => parts(await cases['ok-rs256']()).slice(0, 2).join('.'),
};

const send = (res, code, body, type = 'application/json') => {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const p = url.pathname;
  try {
    if (p === '/a/.well-known/openid-configuration') {
      stats.a_discovery++;
      return send(res, 200, JSON.stringify({ issuer: iss('a'), jwks_uri: `${base}/a/jwks` }));
    }
    if (p === '/c/.well-known/openid-configuration')
      return send(res, 200, JSON.stringify({ issuer: `${base}/evil`, jwks_uri: `${base}/a/jwks` }));
    if (p === '/a/jwks') {
      stats.a_jwks++;
      if (broken) return send(res, 500, '{"error":"down"}');
      return send(res, 200, JSON.stringify({ keys: jwksA }));
    }
    if (p === '/control/break') { broken = true; return send(res, 200, '{}'); }
    if (p === '/control/repair') { broken = false; return send(res, 200, '{}'); }
    if (p === '/b/jwks') { stats.b_jwks++; return send(res, 200, JSON.stringify({ keys: jwksB })); }
    if (p.startsWith('/attacker/')) {
      stats.attacker++;
      return send(res, 200, JSON.stringify({ keys: [await pub(keys.attacker, 'attacker-jku', 'RS256')] }));
    }
    if (p === '/stats') return send(res, 200, JSON.stringify(stats));
    if (p === '/control/rotate') {
      if (!jwksA.some((k) => k.kid === 'rsa-2')) jwksA.push(await pub(keys.rsa2, 'rsa-2', 'RS256'));
      return send(res, 200, '{}');
    }
    if (p.startsWith('/control/revoke/')) {
      const kid = decodeURIComponent(p.slice('/control/revoke/'.length));
      const i = jwksA.findIndex((k) => k.kid === kid);
      if (i >= 0) jwksA.splice(i, 1);
      return send(res, 200, '{}');
    }
    if (p === '/user') {
      // A person of the scenario tests: issuer A, RS256, the groups given.
      const sub = url.searchParams.get('sub') || 'alice';
      const groups = (url.searchParams.get('groups') || '').split(',').filter(Boolean);
      return send(res, 200, await sign(claims({ sub, groups }), { alg: 'RS256', kid: 'rsa-1' },
        keys.rsa1.privateKey), 'text/plain');
    }
    if (p.startsWith('/mint/')) {
      const c = cases[p.slice('/mint/'.length)];
      if (!c) return send(res, 404, 'unknown case', 'text/plain');
      return send(res, 200, await c(), 'text/plain');
    }
    if (p.startsWith('/mintmany/')) {
      // Distinct tokens (random jti) for first-seen verification benchmarks.
      const c = cases[p.slice('/mintmany/'.length)];
      const n = Math.min(Number(url.searchParams.get('n') || 100), 100000);
      if (!c) return send(res, 404, 'unknown case', 'text/plain');
      const out = [];
      for (let i = 0; i < n; i++) out.push(await c());
      return send(res, 200, out.join('\n') + '\n', 'text/plain');
    }
    if (p === '/cases') return send(res, 200, JSON.stringify(Object.keys(cases)));
    send(res, 404, '{}');
  } catch (e) {
    send(res, 500, String(e), 'text/plain');
  }
});
server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  fs.writeFileSync(`${portFile}.tmp`, String(server.address().port));
  fs.renameSync(`${portFile}.tmp`, portFile);
});
// Stop with the test even if it forgets to kill us.
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 10 * 60 * 1000).unref();
