using System.Buffers.Binary;
using System.IO.Hashing;

namespace CacheSerial.Internal;

/// <summary>
/// The stored value of a tag's (or the clear) marker, 17 bytes: magic <c>0x89 'C' 'S' 'T'</c>, version 1, the removal
/// time (unix ms, int64 little-endian), CRC-32 of the 13 bytes before it (docs/wire-format.md). Entries created at or
/// before that time and carrying the tag (any entry, for the clear marker) are misses.
/// </summary>
internal static class TagMarker
{
    public const int Length = 17;

    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'C', (byte)'S', (byte)'T'];

    public static void Write(Span<byte> destination, long removedAtMs)
    {
        Magic.CopyTo(destination);
        destination[4] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(destination[5..], removedAtMs);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[13..], Crc32.HashToUInt32(destination[..13]));
    }

    /// <summary>The removal time; false for bytes that are not a marker (never throws: they come from the store).</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out long removedAtMs)
    {
        removedAtMs = 0;
        if (data.Length != Length || !data.StartsWith(Magic) || data[4] != 1
            || BinaryPrimitives.ReadUInt32LittleEndian(data[13..]) != Crc32.HashToUInt32(data[..13]))
        {
            return false;
        }

        removedAtMs = BinaryPrimitives.ReadInt64LittleEndian(data[5..]);
        return true;
    }
}
