#!/usr/bin/env node
// Reads one CacheSerial entry from Redis and prints its JSON value, after validating the whole envelope.
//
// Reference reader for docs/wire-format.md (envelope v1), Node 20 with no npm packages. It speaks RESP over a plain
// socket and reads both layouts: TYPE <key>, then GET <key> for a string (the native Redis store,
// CacheSerial.StackExchangeRedis) or HGET <key> data for a hash (RedisCache keeps the envelope in the hash field "data").
// It checks magic, version, CRC-32,
// flags, codec name, key check, payload length and the logical expiry, plus the type fingerprint and schema version
// when asked. Any mismatch is an error on stderr and a non-zero exit. See samples/interop/README.md.
//
// Exit codes: 0 printed; 1 entry rejected (corrupt, mismatch, expired); 2 usage; 3 no such entry; 4 connection or
// protocol error.

import { createHash } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const MAGIC = Buffer.from([0x89, 0x43, 0x53, 0x45]);
const FORMAT_VERSION = 1;
const FLAG_NULL = 0x01;
const FLAG_NEGATIVE = 0x02; // the factory marked the value a negative result ("not found"); the value is still printed
const KNOWN_FLAGS = FLAG_NULL | FLAG_NEGATIVE;
const FIXED_OVERHEAD = 59; // header without the codec name, plus the CRC-32 (docs/wire-format.md)
const PREFIX_SEPARATOR = '\u001f';
const HASH_SEPARATOR = '\u001e';
const HASHED_KEY_HEAD_LENGTH = 64;
const DEFAULT_MAXIMUM_KEY_LENGTH = 1024; // CacheSerialOptions.DefaultMaximumKeyLength

const EXIT_REJECTED = 1;
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 3;
const EXIT_CONNECTION = 4;

class ReaderError extends Error {
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}

const rejected = (message) => new ReaderError(EXIT_REJECTED, `entry rejected: ${message}`);

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();

// zlib.crc32 exists from Node 20.15; the table below is the same CRC-32 (IEEE, reflected, 0xEDB88320) for older 20.x.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});
function crc32(bytes) {
    if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes) >>> 0;
    let c = 0xffffffff;
    for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function validateKey(text, what) {
    // CacheSerial refuses these keys, so no entry can exist under them (KeyBuilder.Validate).
    if (what === 'key' && text.trim() === '') throw new ReaderError(EXIT_USAGE, 'the key must not be empty or white space');
    const control = /\p{Cc}/u.exec(text);
    if (control) {
        const code = control[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        throw new ReaderError(EXIT_USAGE, `the ${what} contains a control character (U+${code} at index ${control.index})`);
    }
    if (!text.isWellFormed()) throw new ReaderError(EXIT_USAGE, `the ${what} contains a lone surrogate`);
}

const logicalKey = (prefix, key) => (prefix === '' ? key : prefix + PREFIX_SEPARATOR + key);

// The key the store sees: the logical key, or prefix + head of the key + U+001E + SHA-256 hex when too long.
// JavaScript strings are UTF-16, so lengths and slices count what .NET counts.
function storeKey(prefix, key, maximumKeyLength) {
    const logical = logicalKey(prefix, key);
    if (logical.length <= maximumKeyLength) return logical;
    const split = key.length > HASHED_KEY_HEAD_LENGTH && /[\uD800-\uDBFF]/.test(key[HASHED_KEY_HEAD_LENGTH - 1]);
    const head = key.slice(0, split ? HASHED_KEY_HEAD_LENGTH - 1 : HASHED_KEY_HEAD_LENGTH);
    const prefixPart = prefix === '' ? '' : prefix + PREFIX_SEPARATOR;
    return prefixPart + head + HASH_SEPARATOR + sha256(key).toString('hex');
}

// Parses one RESP reply from the start of buffer: { value } when complete, null when more bytes are needed.
function parseReply(buffer) {
    const end = buffer.indexOf('\r\n');
    if (end < 0) return null;
    const kind = String.fromCharCode(buffer[0]);
    const rest = buffer.subarray(1, end).toString('utf8');
    switch (kind) {
        case '-':
            throw new ReaderError(EXIT_CONNECTION, `the server answered an error: ${rest}`);
        case '_': // RESP3 null
            return { value: null };
        case ':':
            return { value: Number(rest) };
        case '+':
            return { value: rest };
        case '$': {
            const length = Number(rest);
            if (length < 0) return { value: null };
            if (buffer.length < end + 2 + length + 2) return null;
            return { value: buffer.subarray(end + 2, end + 2 + length) };
        }
        default:
            throw new ReaderError(EXIT_CONNECTION, `unexpected reply type '${kind}'`);
    }
}

function respCommand(host, port, timeoutMs, ...args) {
    const parts = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
        const data = Buffer.isBuffer(arg) ? arg : Buffer.from(arg, 'utf8');
        parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
    }
    return new Promise((resolve, reject) => {
        let received = Buffer.alloc(0);
        let settled = false;
        const socket = net.createConnection({ host, port });
        const finish = (error, value) => {
            if (settled) return;
            settled = true;
            socket.destroy();
            if (error) reject(error);
            else resolve(value);
        };
        const failed = (message) => finish(new ReaderError(EXIT_CONNECTION, message));
        socket.setTimeout(timeoutMs, () => failed(`no reply from ${host}:${port} within ${timeoutMs} ms`));
        socket.on('connect', () => socket.write(Buffer.concat(parts)));
        socket.on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            try {
                const reply = parseReply(received);
                if (reply) finish(null, reply.value);
            } catch (error) {
                finish(error);
            }
        });
        socket.on('error', (error) => failed(`cannot talk to ${host}:${port}: ${error.message}`));
        socket.on('end', () => failed('the server closed the connection without a reply'));
    });
}

// The stored envelope's bytes, from either layout: a string (native store) or a hash's field "data" (RedisCache).
// One connection per command keeps respCommand simple; a key removed between the two reads just reads as absent.
async function fetchEnvelope(host, port, timeoutMs, redisKey) {
    const kind = await respCommand(host, port, timeoutMs, 'TYPE', redisKey);
    let data;
    if (kind === 'none') {
        data = null;
    } else if (kind === 'string') {
        data = await respCommand(host, port, timeoutMs, 'GET', redisKey);
    } else if (kind === 'hash') {
        data = await respCommand(host, port, timeoutMs, 'HGET', redisKey, 'data');
        if (data === null) {
            throw new ReaderError(EXIT_NOT_FOUND, `no entry: the hash ${JSON.stringify(redisKey)} has no field 'data'`);
        }
    } else {
        throw rejected(`the key ${JSON.stringify(redisKey)} holds a Redis ${kind}, not a CacheSerial entry `
            + '(a string from the native store, or a hash from RedisCache)');
    }
    if (data === null) throw new ReaderError(EXIT_NOT_FOUND, `no entry: the key ${JSON.stringify(redisKey)} does not exist`);
    if (!Buffer.isBuffer(data)) throw new ReaderError(EXIT_CONNECTION, `unexpected reply to the read of a ${kind}: ${data}`);
    return data;
}

const toUtcIso = (milliseconds) => new Date(Number(milliseconds)).toISOString();

// Validates an envelope v1 in the order of docs/wire-format.md and returns its fields.
function parseEnvelope(data, logical, codec, typeIdentity, schemaVersion, nowMs = Date.now()) {
    if (data.length < FIXED_OVERHEAD + 1 || !data.subarray(0, 4).equals(MAGIC)) {
        throw rejected('not a CacheSerial envelope (too short or wrong magic)');
    }
    if (data[4] !== FORMAT_VERSION) {
        throw rejected(`unsupported format version ${data[4]} (this reader knows ${FORMAT_VERSION})`);
    }
    const storedCrc = data.readUInt32LE(data.length - 4);
    const computedCrc = crc32(data.subarray(0, data.length - 4));
    if (storedCrc !== computedCrc) {
        const hex = (n) => n.toString(16).padStart(8, '0');
        throw rejected(`checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(computedCrc)}): the entry is corrupt`);
    }
    const flags = data[5];
    if (flags & ~KNOWN_FLAGS) throw rejected(`unknown flag bits 0x${(flags & ~KNOWN_FLAGS).toString(16).padStart(2, '0')}`);
    const nameLength = data[6];
    if (nameLength < 1 || nameLength > 64) throw rejected(`codec name length ${nameLength} is outside 1..64`);
    const bodyLength = data.length - 4;
    const p = 7 + nameLength;
    if (bodyLength < FIXED_OVERHEAD - 4 + nameLength) throw rejected('the header is truncated');
    const name = data.subarray(7, p).toString('latin1');
    if (name !== codec) throw rejected(`codec mismatch: the entry was written by '${name}', this reader expects '${codec}'`);
    const fingerprint = data.subarray(p, p + 8);
    if (typeIdentity !== undefined && !fingerprint.equals(sha256(typeIdentity).subarray(0, 8))) {
        throw rejected(`type mismatch: the entry's type fingerprint is not the one of '${typeIdentity}'`);
    }
    const schema = data.readInt32LE(p + 8);
    if (schemaVersion !== undefined && schema !== schemaVersion) {
        throw rejected(`schema mismatch: the entry has schema version ${schema}, expected ${schemaVersion}`);
    }
    if (!data.subarray(p + 12, p + 28).equals(sha256(logical).subarray(0, 16))) {
        throw rejected('key check mismatch: the entry was written for another key');
    }
    const created = data.readBigInt64LE(p + 28);
    const expires = data.readBigInt64LE(p + 36);
    const length = data.readUInt32LE(p + 44);
    const payloadOffset = p + 48;
    if (length !== bodyLength - payloadOffset || (flags & FLAG_NULL && length !== 0)) {
        const present = bodyLength - payloadOffset;
        throw rejected(`length mismatch: the header says ${length} payload bytes, ${present} are present`);
    }
    if (expires !== 0n && BigInt(nowMs) >= expires) {
        throw rejected(`expired at ${toUtcIso(expires)} (now ${toUtcIso(nowMs)})`);
    }
    return {
        codec: name,
        flags,
        typeFingerprint: fingerprint.readBigUInt64LE(0),
        schemaVersion: schema,
        createdAtMs: created,
        expiresAtMs: expires,
        payload: flags & FLAG_NULL ? null : data.subarray(payloadOffset, payloadOffset + length),
    };
}

const USAGE = `usage: read_entry.mjs HOST PORT KEY [--prefix P] [--instance-name I] [--codec stj] [--type T]
                     [--schema-version N] [--max-key-length N] [--metadata] [--timeout SECONDS]`;

function parseInteger(text, option) {
    if (!/^-?\d+$/.test(text)) throw new ReaderError(EXIT_USAGE, `${option} must be an integer, not '${text}'\n${USAGE}`);
    return Number(text);
}

async function main(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                prefix: { type: 'string', default: '' },
                'instance-name': { type: 'string', default: '' },
                codec: { type: 'string', default: 'stj' },
                type: { type: 'string' },
                'schema-version': { type: 'string' },
                'max-key-length': { type: 'string', default: String(DEFAULT_MAXIMUM_KEY_LENGTH) },
                metadata: { type: 'boolean', default: false },
                timeout: { type: 'string', default: '10' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    } catch (error) {
        throw new ReaderError(EXIT_USAGE, `${error.message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (positionals.length !== 3) throw new ReaderError(EXIT_USAGE, `expected HOST PORT KEY\n${USAGE}`);
    const [host, portText, key] = positionals;
    const port = parseInteger(portText, 'PORT');
    const schemaText = values['schema-version'];
    const schemaVersion = schemaText === undefined ? undefined : parseInteger(schemaText, '--schema-version');
    const maximumKeyLength = parseInteger(values['max-key-length'], '--max-key-length');
    const timeoutMs = Number(values.timeout) * 1000;

    validateKey(key, 'key');
    validateKey(values.prefix, 'prefix');
    const logical = logicalKey(values.prefix, key);
    const redisKey = values['instance-name'] + storeKey(values.prefix, key, maximumKeyLength);
    const data = await fetchEnvelope(host, port, timeoutMs, redisKey);
    const entry = parseEnvelope(data, logical, values.codec, values.type, schemaVersion);

    let value = null;
    if (entry.payload !== null) {
        try {
            value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry.payload));
        } catch (error) {
            throw rejected(`the payload is not UTF-8 JSON (${error.message})`);
        }
    }
    if (values.metadata) {
        value = {
            redisKey,
            logicalKey: logical,
            codec: entry.codec,
            isNull: entry.payload === null,
            isNegative: (entry.flags & FLAG_NEGATIVE) !== 0,
            typeFingerprint: entry.typeFingerprint.toString(16).padStart(16, '0'),
            schemaVersion: entry.schemaVersion,
            createdAt: toUtcIso(entry.createdAtMs),
            expiresAt: entry.expiresAtMs === 0n ? null : toUtcIso(entry.expiresAtMs),
            payloadBytes: entry.payload === null ? 0 : entry.payload.length,
            value,
        };
    }
    process.stdout.write(`${JSON.stringify(value)}\n`);
}

try {
    await main(process.argv.slice(2));
} catch (error) {
    if (!(error instanceof ReaderError)) throw error;
    process.stderr.write(`read_entry.mjs: ${error.message}\n`);
    process.exitCode = error.code;
}
