#!/usr/bin/env python3
"""Reads one CacheSerial entry from Redis and prints its JSON value, after validating the whole envelope.

Reference reader for docs/wire-format.md (envelope v1), python3 standard library only. It speaks RESP over a plain
socket and reads both layouts: TYPE <key>, then GET <key> for a string (the native Redis store,
CacheSerial.StackExchangeRedis) or HGET <key> data for a hash (RedisCache keeps the envelope in the hash field "data").
It checks magic, version, CRC-32,
flags, codec name, key check, payload length and the logical expiry, plus the type fingerprint and schema version
when asked. Any mismatch is an error on stderr and a non-zero exit. See samples/interop/README.md.

Exit codes: 0 printed; 1 entry rejected (corrupt, mismatch, expired); 2 usage; 3 no such entry; 4 connection or
protocol error.
"""

import argparse
import datetime
import hashlib
import json
import socket
import struct
import sys
import time
import unicodedata
import zlib

MAGIC = b"\x89CSE"
FORMAT_VERSION = 1
FLAG_NULL = 0x01
FLAG_NEGATIVE = 0x02  # the factory marked the value a negative result ("not found"); the value is still printed
KNOWN_FLAGS = FLAG_NULL | FLAG_NEGATIVE
FIXED_OVERHEAD = 59  # header without the codec name, plus the CRC-32 (docs/wire-format.md)
PREFIX_SEPARATOR = "\u001f"
HASH_SEPARATOR = "\u001e"
HASHED_KEY_HEAD_LENGTH = 64
DEFAULT_MAXIMUM_KEY_LENGTH = 1024  # CacheSerialOptions.DefaultMaximumKeyLength

EXIT_REJECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONNECTION = 1, 2, 3, 4


class ReaderError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def rejected(message):
    return ReaderError(EXIT_REJECTED, "entry rejected: " + message)


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def validate_key(text, what):
    # CacheSerial refuses these keys, so no entry can exist under them (KeyBuilder.Validate).
    if not text.strip() and what == "key":
        raise ReaderError(EXIT_USAGE, "the key must not be empty or white space")
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc":
            raise ReaderError(EXIT_USAGE, f"the {what} contains a control character (U+{ord(char):04X} at index {index})")
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ReaderError(EXIT_USAGE, f"the {what} contains a lone surrogate at index {index}")


def logical_key(prefix, key):
    return key if prefix == "" else prefix + PREFIX_SEPARATOR + key


def store_key(prefix, key, maximum_key_length):
    """The key the store sees: the logical key, or prefix + head of the key + U+001E + SHA-256 hex when too long."""
    logical = logical_key(prefix, key)
    if utf16_length(logical) <= maximum_key_length:
        return logical
    head, units = [], 0
    for char in key:  # the first 64 UTF-16 units, never splitting a surrogate pair
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > HASHED_KEY_HEAD_LENGTH:
            break
        head.append(char)
        units += width
    prefix_part = "" if prefix == "" else prefix + PREFIX_SEPARATOR
    return prefix_part + "".join(head) + HASH_SEPARATOR + hashlib.sha256(key.encode("utf-8")).hexdigest()


class RespConnection:
    """One plain RESP2 connection: commands are sent one at a time and their replies read."""

    def __init__(self, host, port, timeout):
        self.endpoint = f"{host}:{port}"
        try:
            self.connection = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise ReaderError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error
        self.reader = self.connection.makefile("rb")

    def close(self):
        self.reader.close()
        self.connection.close()

    def command(self, *arguments):
        """Sends one command and returns the reply: bytes, None (nil), an int or a status string."""
        request = b"*%d\r\n" % len(arguments)
        for argument in arguments:
            data = argument if isinstance(argument, bytes) else argument.encode("utf-8")
            request += b"$%d\r\n%s\r\n" % (len(data), data)
        try:
            self.connection.sendall(request)
            line = self.reader.readline()
            if not line.endswith(b"\r\n"):
                raise ReaderError(EXIT_CONNECTION, "the server closed the connection without a reply")
            kind, rest = line[:1], line[1:-2]
            if kind == b"-":
                raise ReaderError(EXIT_CONNECTION, "the server answered an error: " + rest.decode("utf-8", "replace"))
            if kind == b"_":  # RESP3 null
                return None
            if kind == b"$":
                length = int(rest)
                if length < 0:
                    return None
                data = self.reader.read(length + 2)
                if len(data) != length + 2 or data[-2:] != b"\r\n":
                    raise ReaderError(EXIT_CONNECTION, "truncated bulk reply")
                return data[:-2]
            if kind == b":":
                return int(rest)
            if kind == b"+":
                return rest.decode("utf-8", "replace")
            raise ReaderError(EXIT_CONNECTION, f"unexpected reply type {kind!r}")
        except OSError as error:
            raise ReaderError(EXIT_CONNECTION, f"cannot talk to {self.endpoint}: {error}") from error


def fetch_envelope(host, port, timeout, redis_key):
    """The stored envelope's bytes, from either layout: a string (native store) or a hash's field "data" (RedisCache)."""
    resp = RespConnection(host, port, timeout)
    try:
        kind = resp.command("TYPE", redis_key)
        if kind == "none":
            raise ReaderError(EXIT_NOT_FOUND, f"no entry: the key {redis_key!r} does not exist")
        if kind == "string":
            data = resp.command("GET", redis_key)
        elif kind == "hash":
            data = resp.command("HGET", redis_key, "data")
            if data is None:
                raise ReaderError(EXIT_NOT_FOUND, f"no entry: the hash {redis_key!r} has no field 'data'")
        else:
            raise rejected(f"the key {redis_key!r} holds a Redis {kind}, not a CacheSerial entry "
                           "(a string from the native store, or a hash from RedisCache)")
    finally:
        resp.close()
    if data is None:  # removed between TYPE and the read
        raise ReaderError(EXIT_NOT_FOUND, f"no entry: the key {redis_key!r} does not exist")
    if not isinstance(data, bytes):
        raise ReaderError(EXIT_CONNECTION, f"unexpected reply to the read of a {kind}: {data!r}")
    return data


def to_utc_iso(milliseconds):
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_envelope(data, logical, codec, type_identity=None, schema_version=None, now_ms=None):
    """Validates an envelope v1 in the order of docs/wire-format.md and returns its fields."""
    if len(data) < FIXED_OVERHEAD + 1 or data[:4] != MAGIC:
        raise rejected("not a CacheSerial envelope (too short or wrong magic)")
    if data[4] != FORMAT_VERSION:
        raise rejected(f"unsupported format version {data[4]} (this reader knows {FORMAT_VERSION})")
    stored_crc = struct.unpack_from("<I", data, len(data) - 4)[0]
    computed_crc = zlib.crc32(data[:-4])
    if stored_crc != computed_crc:
        raise rejected(f"checksum mismatch (stored {stored_crc:08x}, computed {computed_crc:08x}): the entry is corrupt")
    flags = data[5]
    if flags & ~KNOWN_FLAGS:
        raise rejected(f"unknown flag bits 0x{flags & ~KNOWN_FLAGS:02x}")
    name_length = data[6]
    if not 1 <= name_length <= 64:
        raise rejected(f"codec name length {name_length} is outside 1..64")
    body_length = len(data) - 4
    p = 7 + name_length
    if body_length < FIXED_OVERHEAD - 4 + name_length:
        raise rejected("the header is truncated")
    name = data[7:p].decode("ascii", "replace")
    if name != codec:
        raise rejected(f"codec mismatch: the entry was written by '{name}', this reader expects '{codec}'")
    fingerprint = data[p:p + 8]
    if type_identity is not None:
        expected = hashlib.sha256(type_identity.encode("utf-8")).digest()[:8]
        if fingerprint != expected:
            raise rejected(f"type mismatch: the entry's type fingerprint is not the one of '{type_identity}'")
    (schema,) = struct.unpack_from("<i", data, p + 8)
    if schema_version is not None and schema != schema_version:
        raise rejected(f"schema mismatch: the entry has schema version {schema}, expected {schema_version}")
    key_check = data[p + 12:p + 28]
    if key_check != hashlib.sha256(logical.encode("utf-8")).digest()[:16]:
        raise rejected("key check mismatch: the entry was written for another key")
    created, expires, length = struct.unpack_from("<qqI", data, p + 28)
    payload_offset = p + 48
    if length != body_length - payload_offset or (flags & FLAG_NULL and length != 0):
        present = body_length - payload_offset
        raise rejected(f"length mismatch: the header says {length} payload bytes, {present} are present")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if expires != 0 and now_ms >= expires:
        raise rejected(f"expired at {to_utc_iso(expires)} (now {to_utc_iso(now_ms)})")
    return {
        "codec": name,
        "flags": flags,
        "typeFingerprint": struct.unpack("<Q", fingerprint)[0],
        "schemaVersion": schema,
        "createdAtMs": created,
        "expiresAtMs": expires,
        "payload": None if flags & FLAG_NULL else data[payload_offset:payload_offset + length],
    }


def main(argv):
    parser = argparse.ArgumentParser(
        description="Read one CacheSerial entry (JSON codec) from Redis, validate its envelope and print its value.")
    parser.add_argument("host", help="Redis host, e.g. 127.0.0.1")
    parser.add_argument("port", type=int, help="Redis port, e.g. 6379")
    parser.add_argument("key", help="the caller's key, as passed to ITypedCache (without prefix)")
    parser.add_argument("--prefix", default="", help="CacheSerialOptions.KeyPrefix (default: none)")
    parser.add_argument("--instance-name", default="",
                        help="RedisCacheOptions.InstanceName, for entries written through RedisCache (default: none)")
    parser.add_argument("--codec", default="stj", help="expected codec name; the payload must be JSON (default: stj)")
    parser.add_argument("--type", dest="type_identity",
                        help="check the type fingerprint against this type identity, e.g. MyApp.Product")
    parser.add_argument("--schema-version", type=int, help="check the schema version")
    parser.add_argument("--max-key-length", type=int, default=DEFAULT_MAXIMUM_KEY_LENGTH,
                        help=f"CacheSerialOptions.MaximumKeyLength (default: {DEFAULT_MAXIMUM_KEY_LENGTH})")
    parser.add_argument("--metadata", action="store_true",
                        help="print a JSON object with the envelope's fields and the value")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout in seconds (default: 10)")
    arguments = parser.parse_args(argv)

    try:
        validate_key(arguments.key, "key")
        validate_key(arguments.prefix, "prefix")
        logical = logical_key(arguments.prefix, arguments.key)
        redis_key = arguments.instance_name + store_key(arguments.prefix, arguments.key, arguments.max_key_length)
        data = fetch_envelope(arguments.host, arguments.port, arguments.timeout, redis_key)
        entry = parse_envelope(data, logical, arguments.codec, arguments.type_identity, arguments.schema_version)
        try:
            value = None if entry["payload"] is None else json.loads(entry["payload"].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise rejected(f"the payload is not UTF-8 JSON ({error})") from error
    except ReaderError as error:
        print(f"read_entry.py: {error}", file=sys.stderr)
        return error.code

    if arguments.metadata:
        value = {
            "redisKey": redis_key,
            "logicalKey": logical,
            "codec": entry["codec"],
            "isNull": entry["payload"] is None,
            "isNegative": bool(entry["flags"] & FLAG_NEGATIVE),
            "typeFingerprint": f"{entry['typeFingerprint']:016x}",
            "schemaVersion": entry["schemaVersion"],
            "createdAt": to_utc_iso(entry["createdAtMs"]),
            "expiresAt": None if entry["expiresAtMs"] == 0 else to_utc_iso(entry["expiresAtMs"]),
            "payloadBytes": 0 if entry["payload"] is None else len(entry["payload"]),
            "value": value,
        }
    print(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
