using System.Buffers.Binary;
using System.IO.Hashing;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>How a test damages a compressed payload (and re-seals the envelope's CRC, so only the payload is wrong).</summary>
public enum PayloadDamage
{
    /// <summary>The compressed bytes' first two bytes zeroed: not a gzip (or any) stream any more.</summary>
    Garbled,

    /// <summary>The header declares one byte more than the payload decompresses to.</summary>
    DeclaredLonger,

    /// <summary>The header declares one byte less than the payload decompresses to.</summary>
    DeclaredShorter,
}

/// <summary>
/// The test side's own reading of the version 2 fields of a stored envelope (docs/wire-format.md, not the library's
/// reader): after expiresAtMs, compression(1) originalLength(u32 LE) tagCount(1), each tag as u16 LE length and UTF-8,
/// then payloadLength(4), payload and the CRC-32 of everything before it.
/// </summary>
public static class EnvelopeV2Bytes
{
    public const byte CompressedFlag = 0x04;

    public static int CompressionOffset(byte[] envelope) => 7 + envelope[6] + 44;

    public static byte Compression(byte[] envelope) => envelope[CompressionOffset(envelope)];

    public static uint OriginalLength(byte[] envelope) =>
        BinaryPrimitives.ReadUInt32LittleEndian(envelope.AsSpan(CompressionOffset(envelope) + 1));

    /// <summary>Where the payload starts (after the tag list and the payload length).</summary>
    public static int PayloadOffset(byte[] envelope)
    {
        var at = CompressionOffset(envelope) + 6;
        var tagCount = envelope[at - 1];
        for (var i = 0; i < tagCount; i++)
        {
            at += 2 + BinaryPrimitives.ReadUInt16LittleEndian(envelope.AsSpan(at));
        }

        return at + 4;
    }

    /// <summary>Sets the declared original length and re-seals the CRC.</summary>
    public static void SetOriginalLength(byte[] envelope, uint originalLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(envelope.AsSpan(CompressionOffset(envelope) + 1), originalLength);
        Reseal(envelope);
    }

    /// <summary>Damages a compressed payload as <paramref name="damage"/> says; the envelope's CRC stays valid.</summary>
    public static void Damage(byte[] envelope, PayloadDamage damage)
    {
        Assert.True(envelope[4] == 2 && (envelope[5] & CompressedFlag) != 0, "the entry must be a compressed version 2 envelope");
        switch (damage)
        {
            case PayloadDamage.Garbled:
                var payload = PayloadOffset(envelope);
                envelope[payload] = 0;
                envelope[payload + 1] = 0;
                Reseal(envelope);
                break;
            case PayloadDamage.DeclaredLonger:
                SetOriginalLength(envelope, OriginalLength(envelope) + 1);
                break;
            case PayloadDamage.DeclaredShorter:
                SetOriginalLength(envelope, OriginalLength(envelope) - 1);
                break;
        }
    }

    public static void Reseal(byte[] envelope) =>
        BinaryPrimitives.WriteUInt32LittleEndian(envelope.AsSpan(envelope.Length - 4), Crc32.HashToUInt32(envelope.AsSpan(0, envelope.Length - 4)));
}
