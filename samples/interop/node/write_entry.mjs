#!/usr/bin/env node
// Writes one CacheSerial entry (envelope v1 or v2, JSON codec "stj") to Redis, so that a .NET CacheSerial cache reads it.
//
// Reference writer for docs/wire-format.md, Node 20 with no npm packages; the counterpart of read_entry.mjs. It reads a
// JSON value from stdin (or --value), builds the envelope (header, type fingerprint, schema version, key check,
// created-at, logical expiry, payload, CRC-32; with version 2 also the compression, original length and tags: --tags,
// --compress gzip|brotli) and stores it over a plain RESP socket in one of the two layouts CacheSerial's stores use:
//
//   --layout string  the native Redis store (UseStackExchangeRedis): SET <key> <envelope> PX <ms>
//   --layout hash    RedisCache (AddStackExchangeRedisCache): MULTI, DEL <key>,
//                    HSET <key> absexp <ticks> sldexp -1 data <envelope>, PEXPIRE <key> <ms>, EXEC
//
// See samples/interop/README.md.
//
// Exit codes: 0 written; 2 usage (bad options, key or JSON); 4 connection or protocol error.

import { createHash } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const MAGIC = Buffer.from([0x89, 0x43, 0x53, 0x45]);
const FORMAT_VERSION_1 = 1;
const FORMAT_VERSION_2 = 2;
const FLAG_NULL = 0x01;
const FLAG_COMPRESSED = 0x04; // version 2 only
// CacheCompressionAlgorithm ids; zstd (3) and LZ4 (4) are not in Node 20's zlib.
const COMPRESSION = { none: 0, gzip: 1, brotli: 2 };
const DEFAULT_COMPRESSION_THRESHOLD = 1024; // CacheCompressionOptions.DefaultThreshold
const MAXIMUM_TAG_COUNT = 64; // CacheEntryOptions.MaximumTagCount
const MAXIMUM_TAG_LENGTH = 256; // CacheEntryOptions.MaximumTagLength, in UTF-16 characters
const WILDCARD_TAG = '*'; // reserved: ClearAsync says "every entry"
const CODEC = Buffer.from('stj', 'ascii');
const PREFIX_SEPARATOR = '\u001f';
const HASH_SEPARATOR = '\u001e';
const HASHED_KEY_HEAD_LENGTH = 64;
const DEFAULT_MAXIMUM_KEY_LENGTH = 1024; // CacheSerialOptions.DefaultMaximumKeyLength
const DEFAULT_EXPIRES_IN = 300;
const UNIX_EPOCH_TICKS = 621355968000000000n; // DateTimeOffset.UnixEpoch.Ticks; a tick is 100 ns
const NOT_PRESENT = '-1'; // RedisCache's value for an absent absexp / sldexp

const EXIT_USAGE = 2;
const EXIT_CONNECTION = 4;

class WriterError extends Error {
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}

const USAGE = `usage: write_entry.mjs HOST PORT KEY --type T --layout string|hash [--value JSON] [--prefix P]
                      [--instance-name I] [--schema-version N] [--expires-in SECONDS] [--max-key-length N]
                      [--tags A,B]... [--compress none|gzip|brotli] [--compress-threshold N]
                      [--envelope-version 1|2] [--timeout SECONDS]
       the value is read from stdin unless --value is given`;

const usage = (message) => new WriterError(EXIT_USAGE, `${message}\n${USAGE}`);

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
    // CacheSerial refuses these keys (KeyBuilder.Validate), so it could never read an entry written under them.
    if (what === 'key' && text.trim() === '') throw usage('the key must not be empty or white space');
    const control = /\p{Cc}/u.exec(text);
    if (control) {
        const code = control[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        throw usage(`the ${what} contains a control character (U+${code} at index ${control.index})`);
    }
    if (!text.isWellFormed()) throw usage(`the ${what} contains a lone surrogate`);
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

// The tags of --tags (each a comma list), checked as CacheSerial checks them (TagRules), distinct in order.
function parseTags(values) {
    const tags = [];
    for (const value of values ?? []) {
        for (const tag of value.split(',')) {
            if (tag.length > MAXIMUM_TAG_LENGTH) throw usage(`a tag must be at most ${MAXIMUM_TAG_LENGTH} characters (found ${tag.length})`);
            if (tag === WILDCARD_TAG) throw usage("the tag '*' is reserved (ClearAsync drops every entry)");
            if (tag.trim() === '') throw usage('a tag must not be empty or white space');
            validateKey(tag, 'tag');
            if (!tags.includes(tag)) tags.push(tag);
        }
    }
    if (tags.length > MAXIMUM_TAG_COUNT) throw usage(`an entry may carry at most ${MAXIMUM_TAG_COUNT} tags (found ${tags.length})`);
    return tags;
}

// { compression, stored } as CacheSerial decides: compressed only when longer than the threshold, and kept only when
// smaller than the original.
function compress(payload, algorithm, threshold) {
    if (payload === null || algorithm === COMPRESSION.none || payload.length <= threshold) {
        return { compression: COMPRESSION.none, stored: payload };
    }
    const compressed = algorithm === COMPRESSION.gzip
        ? zlib.gzipSync(payload)
        : zlib.brotliCompressSync(payload, {
            params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 4,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: payload.length,
            },
        });
    return compressed.length < payload.length
        ? { compression: algorithm, stored: compressed }
        : { compression: COMPRESSION.none, stored: payload };
}

// An envelope (docs/wire-format.md); payload null writes a cached null (flag bit 0, empty payload). Version 2 adds the
// compression id, the payload's length before compression and the tags after the expiry.
function buildEnvelope(logical, typeIdentity, schemaVersion, payload, createdMs, expiresMs,
    version = FORMAT_VERSION_1, tags = [], compression = COMPRESSION.none, originalLength = null) {
    let flags = payload === null ? FLAG_NULL : 0;
    if (compression !== COMPRESSION.none) flags |= FLAG_COMPRESSED;
    const body = payload ?? Buffer.alloc(0);
    const numbers = Buffer.alloc(4 + 16 + 8 + 8);
    numbers.writeInt32LE(schemaVersion, 0);
    sha256(logical).copy(numbers, 4, 0, 16);
    numbers.writeBigInt64LE(BigInt(createdMs), 20);
    numbers.writeBigInt64LE(BigInt(expiresMs), 28);
    const version2 = [];
    if (version === FORMAT_VERSION_2) {
        const fields = Buffer.alloc(6);
        fields[0] = compression;
        fields.writeUInt32LE(originalLength ?? body.length, 1);
        fields[5] = tags.length;
        version2.push(fields);
        for (const tag of tags) {
            const encoded = Buffer.from(tag, 'utf8');
            const length = Buffer.alloc(2);
            length.writeUInt16LE(encoded.length, 0);
            version2.push(length, encoded);
        }
    }
    const payloadLength = Buffer.alloc(4);
    payloadLength.writeUInt32LE(body.length, 0);
    const withoutCrc = Buffer.concat([
        MAGIC,
        Buffer.from([version, flags, CODEC.length]),
        CODEC,
        sha256(typeIdentity).subarray(0, 8), // the fingerprint's bytes as stored (u64 LE)
        numbers,
        ...version2,
        payloadLength,
        body,
    ]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(withoutCrc), 0);
    return Buffer.concat([withoutCrc, crc]);
}

// Parses one RESP reply at offset: { value, next } when complete, null when more bytes are needed.
// Error replies (also inside EXEC's array) become WriterErrors.
function parseReply(buffer, offset) {
    const end = buffer.indexOf('\r\n', offset);
    if (end < 0) return null;
    const kind = String.fromCharCode(buffer[offset]);
    const rest = buffer.subarray(offset + 1, end).toString('utf8');
    const next = end + 2;
    switch (kind) {
        case '-':
            throw new WriterError(EXIT_CONNECTION, `the server answered an error: ${rest}`);
        case '_': // RESP3 null
            return { value: null, next };
        case ':':
            return { value: Number(rest), next };
        case '+':
            return { value: rest, next };
        case '$': {
            const length = Number(rest);
            if (length < 0) return { value: null, next };
            if (buffer.length < next + length + 2) return null;
            return { value: buffer.subarray(next, next + length), next: next + length + 2 };
        }
        case '*': {
            const count = Number(rest);
            if (count < 0) return { value: null, next };
            const items = [];
            let at = next;
            for (let i = 0; i < count; i++) {
                const item = parseReply(buffer, at);
                if (!item) return null;
                items.push(item.value);
                at = item.next;
            }
            return { value: items, next: at };
        }
        default:
            throw new WriterError(EXIT_CONNECTION, `unexpected reply type '${kind}'`);
    }
}

// Sends the commands in one write on one connection and resolves with their replies, in order.
function respPipeline(host, port, timeoutMs, commands) {
    const parts = [];
    for (const args of commands) {
        parts.push(Buffer.from(`*${args.length}\r\n`));
        for (const arg of args) {
            const data = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
            parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
        }
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
        const failed = (message) => finish(new WriterError(EXIT_CONNECTION, message));
        socket.setTimeout(timeoutMs, () => failed(`no reply from ${host}:${port} within ${timeoutMs} ms`));
        socket.on('connect', () => socket.write(Buffer.concat(parts)));
        socket.on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            try {
                const replies = [];
                let at = 0;
                while (replies.length < commands.length) {
                    const reply = parseReply(received, at);
                    if (!reply) return; // wait for more bytes
                    replies.push(reply.value);
                    at = reply.next;
                }
                finish(null, replies);
            } catch (error) {
                finish(error);
            }
        });
        socket.on('error', (error) => failed(`cannot talk to ${host}:${port}: ${error.message}`));
        socket.on('end', () => failed('the server closed the connection without a reply'));
    });
}

async function write(host, port, timeoutMs, redisKey, envelope, layout, ttlMs, absoluteExpirationMs) {
    if (layout === 'string') {
        await respPipeline(host, port, timeoutMs, [['SET', redisKey, envelope, 'PX', String(ttlMs)]]);
        return;
    }
    // What Microsoft.Extensions.Caching.StackExchangeRedis writes: the three fields, then the key's TTL. The DEL and the
    // transaction make the key exactly that hash (a previous string or extra fields would not survive).
    const absexp = (BigInt(absoluteExpirationMs) * 10000n + UNIX_EPOCH_TICKS).toString();
    const replies = await respPipeline(host, port, timeoutMs, [
        ['MULTI'],
        ['DEL', redisKey],
        ['HSET', redisKey, 'absexp', absexp, 'sldexp', NOT_PRESENT, 'data', envelope],
        ['PEXPIRE', redisKey, String(ttlMs)],
        ['EXEC'],
    ]);
    if (replies[replies.length - 1] === null) throw new WriterError(EXIT_CONNECTION, 'the transaction was aborted');
}

function parseInteger(text, option) {
    if (!/^-?\d+$/.test(text)) throw usage(`${option} must be an integer, not '${text}'`);
    return Number(text);
}

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks);
}

// The value as compact UTF-8 JSON bytes, or null for a JSON null.
function parseValue(text) {
    let value;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw usage(`the value is not JSON (${error.message})`);
    }
    return value === null ? null : Buffer.from(JSON.stringify(value), 'utf8');
}

async function main(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                value: { type: 'string' },
                type: { type: 'string' },
                layout: { type: 'string' },
                prefix: { type: 'string', default: '' },
                'instance-name': { type: 'string', default: '' },
                'schema-version': { type: 'string', default: '0' },
                'expires-in': { type: 'string', default: String(DEFAULT_EXPIRES_IN) },
                'max-key-length': { type: 'string', default: String(DEFAULT_MAXIMUM_KEY_LENGTH) },
                tags: { type: 'string', multiple: true },
                compress: { type: 'string', default: 'none' },
                'compress-threshold': { type: 'string', default: String(DEFAULT_COMPRESSION_THRESHOLD) },
                'envelope-version': { type: 'string' },
                timeout: { type: 'string', default: '10' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    } catch (error) {
        throw usage(error.message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (positionals.length !== 3) throw usage('expected HOST PORT KEY');
    const [host, portText, key] = positionals;
    const port = parseInteger(portText, 'PORT');
    if (!values.type) throw usage('--type is required: the .NET type identity the entry is for, e.g. MyApp.Product');
    const layout = values.layout;
    if (layout !== 'string' && layout !== 'hash') throw usage('--layout must be string (native store) or hash (RedisCache)');
    const instanceName = values['instance-name'];
    if (layout === 'string' && instanceName !== '') {
        throw usage("--instance-name is for the hash layout (RedisCache); the native store's keys have none");
    }
    const schemaVersion = parseInteger(values['schema-version'], '--schema-version');
    if (schemaVersion < -(2 ** 31) || schemaVersion >= 2 ** 31) throw usage('--schema-version must fit a 32-bit signed integer');
    const expiresIn = Number(values['expires-in']);
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) throw usage('--expires-in must be a positive number of seconds');
    const maximumKeyLength = parseInteger(values['max-key-length'], '--max-key-length');
    const timeoutMs = Number(values.timeout) * 1000;

    validateKey(key, 'key');
    validateKey(values.prefix, 'prefix');
    const tags = parseTags(values.tags);
    if (values.compress === 'zstd' || values.compress === 'lz4') {
        throw usage(`--compress ${values.compress} is not in Node's zlib (gzip and brotli are)`);
    }
    const algorithm = COMPRESSION[values.compress];
    if (algorithm === undefined) throw usage('--compress must be none, gzip or brotli');
    const threshold = parseInteger(values['compress-threshold'], '--compress-threshold');
    if (threshold < 0) throw usage('--compress-threshold must be at least 0');
    const versionText = values['envelope-version'];
    if (versionText !== undefined && versionText !== '1' && versionText !== '2') throw usage('--envelope-version must be 1 or 2');
    const version = versionText !== undefined
        ? Number(versionText)
        : (tags.length > 0 || algorithm !== COMPRESSION.none ? FORMAT_VERSION_2 : FORMAT_VERSION_1);
    if (version === FORMAT_VERSION_1 && (tags.length > 0 || algorithm !== COMPRESSION.none)) {
        throw usage('--tags and --compress need --envelope-version 2 (version 1 has no place for them)');
    }
    let text = values.value;
    if (text === undefined) {
        try {
            text = new TextDecoder('utf-8', { fatal: true }).decode(await readStdin());
        } catch (error) {
            throw new WriterError(EXIT_USAGE, `the value is not UTF-8 (${error.message})`);
        }
    }
    const payload = parseValue(text);
    const { compression, stored } = compress(payload, algorithm, threshold);

    const createdMs = Date.now();
    const lifetimeMs = Math.max(1, Math.ceil(expiresIn * 1000));
    const expiresMs = createdMs + lifetimeMs;
    // The native store sets the exact lifetime (PX); RedisCache keeps whole seconds, and CacheSerial rounds up.
    const ttlMs = layout === 'string' ? lifetimeMs : Math.max(1, Math.ceil(lifetimeMs / 1000)) * 1000;
    const logical = logicalKey(values.prefix, key);
    const redisKey = instanceName + storeKey(values.prefix, key, maximumKeyLength);
    const envelope = buildEnvelope(
        logical, values.type, schemaVersion, stored, createdMs, expiresMs, version, tags, compression, payload?.length ?? null);
    await write(host, port, timeoutMs, redisKey, envelope, layout, ttlMs, createdMs + ttlMs);
}

try {
    await main(process.argv.slice(2));
} catch (error) {
    if (!(error instanceof WriterError)) throw error;
    process.stderr.write(`write_entry.mjs: ${error.message}\n`);
    process.exitCode = error.code;
}
