namespace CacheSerial.Internal;

/// <summary>
/// The header fields a read hands back after the checks pass. Compression is the payload's algorithm (None in version 1),
/// OriginalLength its length before compression (its own length when not compressed), Tags the entry's tags (null: none).
/// </summary>
internal readonly record struct EnvelopeHeader(
    EnvelopeFlags Flags, long CreatedAtMs, long ExpiresAtMs, CacheCompressionAlgorithm Compression = CacheCompressionAlgorithm.None, int OriginalLength = 0, string[]? Tags = null);
