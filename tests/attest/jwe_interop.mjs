// jwe_interop.mjs - an independent JWE implementation (Node's WebCrypto,
// no Mantle code) against the broker's: it opens the JWE jwe_seal wrote and
// writes one, laid out as Trustee's KBS writes it, for jwe_open to open.
// ECDH-ES+A256KW (RFC 7518 4.6: ECDH, Concat KDF with SHA-256, AES key
// wrap) and A256GCM with the protected header's base64url form as AAD.
// SPDX-License-Identifier: Apache-2.0
//
// usage: node jwe_interop.mjs DIR   (DIR/key.pem, DIR/seal.jwe, DIR/plaintext
//        in; DIR/node.jwe out). Exit 0 when the JWE opened to the plaintext.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createHash, webcrypto } from 'node:crypto';

const subtle = webcrypto.subtle;
const dir = process.argv[2];
const b64u = (s) => Buffer.from(s, 'base64url');
const ALG = 'ECDH-ES+A256KW', ENC = 'A256GCM';
const EC = { name: 'ECDH', namedCurve: 'P-256' };

function be32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

// One round of the Concat KDF gives the 256 bits of an A256KW key.
function concatKdf(z, alg) {
  const a = Buffer.from(alg, 'ascii');
  const info = Buffer.concat([be32(a.length), a, be32(0), be32(0), be32(256)]);
  return createHash('sha256').update(Buffer.concat([be32(1), z, info])).digest();
}

async function kek(priv, pub, usage) {
  const z = Buffer.from(await subtle.deriveBits({ name: 'ECDH', public: pub }, priv, 256));
  return subtle.importKey('raw', concatKdf(z, ALG), 'AES-KW', false, [usage]);
}

const pem = readFileSync(`${dir}/key.pem`, 'utf8');
const keyObj = createPrivateKey(pem);
const priv = await subtle.importKey('pkcs8', keyObj.export({ type: 'pkcs8', format: 'der' }),
                                    EC, false, ['deriveBits']);
const plaintext = readFileSync(`${dir}/plaintext`);

// ---- open what Mantle sealed ----
const jwe = JSON.parse(readFileSync(`${dir}/seal.jwe`, 'utf8'));
const want = ['ciphertext', 'encrypted_key', 'iv', 'protected', 'tag'];
if (JSON.stringify(Object.keys(jwe).sort()) !== JSON.stringify(want))
  throw new Error(`fields: ${Object.keys(jwe)}`);
const hdr = JSON.parse(b64u(jwe.protected).toString('utf8'));
if (hdr.alg !== ALG || hdr.enc !== ENC || hdr.epk.kty !== 'EC' || hdr.epk.crv !== 'P-256')
  throw new Error(`header: ${JSON.stringify(hdr)}`);
const epk = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: hdr.epk.x, y: hdr.epk.y },
                                   EC, false, []);
const cek = await subtle.unwrapKey('raw', b64u(jwe.encrypted_key), await kek(priv, epk, 'unwrapKey'),
                                   'AES-KW', 'AES-GCM', false, ['decrypt']);
const opened = Buffer.from(await subtle.decrypt(
  { name: 'AES-GCM', iv: b64u(jwe.iv), additionalData: Buffer.from(jwe.protected, 'ascii'),
    tagLength: 128 },
  cek, Buffer.concat([b64u(jwe.ciphertext), b64u(jwe.tag)])));
if (!opened.equals(plaintext))
  throw new Error('the JWE opened to other bytes');
console.log('node opened the broker\'s JWE');

// ---- seal to the same key, as Trustee's KBS does ----
const pubJwk = keyObj.export({ format: 'jwk' });
const recipient = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: pubJwk.x, y: pubJwk.y },
                                         EC, false, []);
const eph = await subtle.generateKey(EC, true, ['deriveBits']);
const ephJwk = await subtle.exportKey('jwk', eph.publicKey);
const cek2 = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
const wrapped = Buffer.from(await subtle.wrapKey('raw', cek2, await kek(eph.privateKey, recipient, 'wrapKey'),
                                                 'AES-KW'));
const prot = Buffer.from(JSON.stringify({
  alg: ALG, enc: ENC, epk: { crv: 'P-256', kty: 'EC', x: ephJwk.x, y: ephJwk.y },
})).toString('base64url');
const iv = webcrypto.getRandomValues(new Uint8Array(12));
const sealed = Buffer.from(await subtle.encrypt(
  { name: 'AES-GCM', iv, additionalData: Buffer.from(prot, 'ascii'), tagLength: 128 },
  cek2, plaintext));
writeFileSync(`${dir}/node.jwe`, JSON.stringify({
  protected: prot,
  encrypted_key: wrapped.toString('base64url'),
  iv: Buffer.from(iv).toString('base64url'),
  ciphertext: sealed.subarray(0, sealed.length - 16).toString('base64url'),
  tag: sealed.subarray(sealed.length - 16).toString('base64url'),
}));
