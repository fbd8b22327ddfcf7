namespace CacheSerial;

/// <summary>Why a stored entry was not accepted by a read. Each is a logged miss.</summary>
public enum CacheEntryRejectReason
{
    /// <summary>Not a CacheSerial envelope (too short or wrong magic bytes): foreign data.</summary>
    NotAnEnvelope = 1,

    /// <summary>An envelope format version this build does not read.</summary>
    UnsupportedVersion = 2,

    /// <summary>The checksum does not match: truncated, extended or corrupted bytes.</summary>
    ChecksumMismatch = 3,

    /// <summary>The declared lengths do not match the bytes.</summary>
    LengthMismatch = 4,

    /// <summary>Flags this build does not know.</summary>
    UnknownFlags = 5,

    /// <summary>Written by another codec.</summary>
    CodecMismatch = 6,

    /// <summary>Written as another type.</summary>
    TypeMismatch = 7,

    /// <summary>Written with another <see cref="CacheSchemaVersionAttribute"/> version of the type.</summary>
    SchemaMismatch = 8,

    /// <summary>Written for another key (copied or colliding).</summary>
    KeyMismatch = 9,

    /// <summary>Larger than <see cref="CacheSerialOptions.MaximumPayloadBytes"/>.</summary>
    PayloadTooLarge = 10,

    /// <summary>The codec threw while reading the payload.</summary>
    CodecError = 11,

    /// <summary>The payload names a compression algorithm this build does not know, or its compression fields disagree.</summary>
    UnknownCompression = 12,

    /// <summary>The compressed payload is corrupt, or does not decompress to the length its header declares.</summary>
    CompressionError = 13,

    /// <summary>The entry's tag list is malformed (a zero length, or bytes that are not UTF-8).</summary>
    MalformedTags = 14,
}
