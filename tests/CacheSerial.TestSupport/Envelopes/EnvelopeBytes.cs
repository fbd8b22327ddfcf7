using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace CacheSerial.TestSupport.Envelopes;

/// <summary>
/// The test side's own reading of the documented envelope v1 layout (deliberately not the library's reader, so a change
/// of the format shows up here). All integers little-endian:
/// magic(4) version(1) flags(1) codecLen(1) codec(n) typeFingerprint(8) schemaVersion(4) keyCheck(16)
/// createdAtMs(8) expiresAtMs(8) payloadLength(4) payload(L) crc32(4), the CRC-32 (IEEE) covering every byte before it.
/// </summary>
public sealed class EnvelopeBytes
{
    public const int MagicOffset = 0;
    public const int VersionOffset = 4;
    public const int FlagsOffset = 5;
    public const int CodecLengthOffset = 6;
    public const int CodecOffset = 7;
    public const int KeyCheckLength = 16;

    private EnvelopeBytes(byte[] bytes)
    {
        Bytes = bytes;
        CodecLength = bytes[CodecLengthOffset];
    }

    public byte[] Bytes { get; }

    public int CodecLength { get; }

    public int FingerprintOffset => CodecOffset + CodecLength;

    public int SchemaVersionOffset => FingerprintOffset + 8;

    public int KeyCheckOffset => SchemaVersionOffset + 4;

    public int CreatedAtOffset => KeyCheckOffset + KeyCheckLength;

    public int ExpiresAtOffset => CreatedAtOffset + 8;

    public int PayloadLengthOffset => ExpiresAtOffset + 8;

    public int PayloadOffset => PayloadLengthOffset + 4;

    public int ChecksumOffset => Bytes.Length - 4;

    public byte Version => Bytes[VersionOffset];

    public byte Flags => Bytes[FlagsOffset];

    public string CodecName => Encoding.ASCII.GetString(Bytes, CodecOffset, CodecLength);

    public ulong TypeFingerprint => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(FingerprintOffset));

    public int SchemaVersion => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(SchemaVersionOffset));

    public ReadOnlySpan<byte> KeyCheck => Bytes.AsSpan(KeyCheckOffset, KeyCheckLength);

    public long CreatedAtMs => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(CreatedAtOffset));

    public long ExpiresAtMs => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(ExpiresAtOffset));

    public int PayloadLength => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(PayloadLengthOffset));

    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(PayloadOffset, PayloadLength);

    public uint Checksum => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(ChecksumOffset));

    /// <summary>Whether the magic bytes, the declared length and the checksum agree with the layout above.</summary>
    public bool IsWellFormed =>
        Bytes.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, (byte)'C', (byte)'S', (byte)'E' })
        && PayloadOffset + PayloadLength + 4 == Bytes.Length
        && Crc32.HashToUInt32(Bytes.AsSpan(0, ChecksumOffset)) == Checksum;

    /// <summary>Reads the layout of a copy of <paramref name="bytes"/>.</summary>
    public static EnvelopeBytes Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 60)
        {
            throw new ArgumentException($"{bytes.Length} bytes cannot be an envelope.", nameof(bytes));
        }

        return new EnvelopeBytes((byte[])bytes.Clone());
    }

    /// <summary>A copy with <paramref name="patch"/> applied to the bytes and the checksum recomputed, so only the patched field is wrong.</summary>
    public byte[] With(Action<byte[]> patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var copy = (byte[])Bytes.Clone();
        patch(copy);
        return WithChecksum(copy);
    }

    public byte[] WithSchemaVersion(int version) =>
        With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(SchemaVersionOffset), version));

    public byte[] WithTypeFingerprint(ulong fingerprint) =>
        With(b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(FingerprintOffset), fingerprint));

    public byte[] WithExpiresAtMs(long expiresAtMs) =>
        With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(ExpiresAtOffset), expiresAtMs));

    public byte[] WithFlags(byte flags) => With(b => b[FlagsOffset] = flags);

    public byte[] WithVersion(byte version) => With(b => b[VersionOffset] = version);

    public byte[] WithDeclaredPayloadLength(int length) =>
        With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(PayloadLengthOffset), length));

    /// <summary>A copy whose payload is replaced (declared length and checksum fixed up): a well-formed envelope around foreign payload bytes.</summary>
    public byte[] WithPayload(ReadOnlySpan<byte> payload)
    {
        var result = new byte[PayloadOffset + payload.Length + 4];
        Bytes.AsSpan(0, PayloadOffset).CopyTo(result);
        payload.CopyTo(result.AsSpan(PayloadOffset));
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(PayloadLengthOffset), payload.Length);
        return WithChecksum(result);
    }

    /// <summary>Recomputes the trailing CRC-32 of <paramref name="bytes"/> in place and returns it.</summary>
    public static byte[] WithChecksum(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var crc = Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), crc);
        return bytes;
    }
}
