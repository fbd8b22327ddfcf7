using System.Buffers.Binary;
using System.IO.Hashing;

namespace CacheSerial.Internal;

/// <summary>
/// The one home of the stored-entry format (docs/wire-format.md). All integers little-endian:
/// magic(4) version(1) flags(1) codecLen(1) codec(n) typeFingerprint(8) schemaVersion(4) keyCheck(16)
/// createdAtMs(8) expiresAtMs(8) payloadLength(4) payload(L) crc32(4), the CRC-32 (IEEE) covering every byte before it.
/// </summary>
internal static class Envelope
{
    public const byte FormatVersion = 1;

    /// <summary>Bytes around the codec name and payload: 59.</summary>
    public const int FixedOverhead = 4 + 1 + 1 + 1 + 8 + 4 + KeyBuilder.KeyCheckLength + 8 + 8 + 4 + 4;

    // 0x89 first: never valid UTF-8 text start, so JSON or strings written by other clients cannot look like an envelope.
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'C', (byte)'S', (byte)'E'];

    private const EnvelopeFlags KnownFlags = EnvelopeFlags.NullValue | EnvelopeFlags.Negative;

    /// <summary>Writes everything up to the payload; returns the payload's offset.</summary>
    public static int WriteHeader(
        PooledBufferWriter writer,
        ReadOnlySpan<byte> codecName,
        ulong typeFingerprint,
        int schemaVersion,
        ReadOnlySpan<byte> keyCheck,
        EnvelopeFlags flags,
        long createdAtMs,
        long expiresAtMs)
    {
        var size = FixedOverhead - 4 + codecName.Length;
        var span = writer.GetSpan(size);
        Magic.CopyTo(span);
        span[4] = FormatVersion;
        span[5] = (byte)flags;
        span[6] = (byte)codecName.Length;
        codecName.CopyTo(span[7..]);
        var p = 7 + codecName.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span[p..], typeFingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(span[(p + 8)..], schemaVersion);
        keyCheck[..KeyBuilder.KeyCheckLength].CopyTo(span[(p + 12)..]);
        BinaryPrimitives.WriteInt64LittleEndian(span[(p + 28)..], createdAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(span[(p + 36)..], expiresAtMs);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(p + 44)..], 0); // patched by Complete
        writer.Advance(size);
        return size;
    }

    /// <summary>Patches the payload length and appends the checksum.</summary>
    public static void Complete(PooledBufferWriter writer, int payloadOffset)
    {
        var payloadLength = writer.WrittenCount - payloadOffset;
        BinaryPrimitives.WriteUInt32LittleEndian(writer.WrittenSpan[(payloadOffset - 4)..], (uint)payloadLength);
        var crc = Crc32.HashToUInt32(writer.WrittenSpan);
        BinaryPrimitives.WriteUInt32LittleEndian(writer.GetSpan(4), crc);
        writer.Advance(4);
    }

    /// <summary>Checks every field against what the reader expects; on success returns the header and payload range.</summary>
    public static bool TryRead(
        ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> codecName,
        ulong typeFingerprint,
        int schemaVersion,
        ReadOnlySpan<byte> keyCheck,
        out EnvelopeHeader header,
        out int payloadOffset,
        out int payloadLength,
        out CacheEntryRejectReason reason)
    {
        header = default;
        payloadOffset = 0;
        payloadLength = 0;

        if (data.Length < FixedOverhead + 1 || !data.StartsWith(Magic))
        {
            reason = CacheEntryRejectReason.NotAnEnvelope;
            return false;
        }

        if (data[4] != FormatVersion)
        {
            reason = CacheEntryRejectReason.UnsupportedVersion;
            return false;
        }

        // The checksum first: any flipped, missing or extra byte is reported as corruption, not as a field mismatch.
        var body = data[..^4];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]))
        {
            reason = CacheEntryRejectReason.ChecksumMismatch;
            return false;
        }

        var flags = (EnvelopeFlags)data[5];
        if ((flags & ~KnownFlags) != 0)
        {
            reason = CacheEntryRejectReason.UnknownFlags;
            return false;
        }

        int nameLength = data[6];
        var p = 7 + nameLength;
        if (body.Length < FixedOverhead - 4 + nameLength)
        {
            reason = CacheEntryRejectReason.LengthMismatch;
            return false;
        }

        if (!data.Slice(7, nameLength).SequenceEqual(codecName))
        {
            reason = CacheEntryRejectReason.CodecMismatch;
            return false;
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(data[p..]) != typeFingerprint)
        {
            reason = CacheEntryRejectReason.TypeMismatch;
            return false;
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(data[(p + 8)..]) != schemaVersion)
        {
            reason = CacheEntryRejectReason.SchemaMismatch;
            return false;
        }

        if (!data.Slice(p + 12, KeyBuilder.KeyCheckLength).SequenceEqual(keyCheck))
        {
            reason = CacheEntryRejectReason.KeyMismatch;
            return false;
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(data[(p + 44)..]);
        payloadOffset = p + 48;
        if (declared != (uint)(body.Length - payloadOffset) || ((flags & EnvelopeFlags.NullValue) != 0 && declared != 0))
        {
            reason = CacheEntryRejectReason.LengthMismatch;
            return false;
        }

        payloadLength = (int)declared;
        header = new EnvelopeHeader(
            flags,
            BinaryPrimitives.ReadInt64LittleEndian(data[(p + 28)..]),
            BinaryPrimitives.ReadInt64LittleEndian(data[(p + 36)..]));
        reason = default;
        return true;
    }
}
