namespace CacheSerial;

/// <summary>Per-call switches for the tiers: <see cref="SkipRead"/> and <see cref="SkipWrite"/> bypass every tier, the
/// <c>Local</c> flags only the memory tier (<c>UseMemoryTier</c>).</summary>
[Flags]
public enum CacheEntryFlags
{
    /// <summary>Read and write the store as usual.</summary>
    None = 0,

    /// <summary>Do not read the cache (memory tier and store): reads are misses and get-or-create always runs the factory.</summary>
    SkipRead = 1,

    /// <summary>Do not write the cache (memory tier and store): values are returned but not stored.</summary>
    SkipWrite = 2,

    /// <summary>Do not read the memory tier: the call reads the store (and keeps what it finds in memory unless
    /// <see cref="SkipLocalWrite"/> is set). Without a memory tier, no effect.</summary>
    SkipLocalRead = 4,

    /// <summary>Do not keep this call's value in the memory tier (the store is written as usual). Without a memory tier,
    /// no effect.</summary>
    SkipLocalWrite = 8,

    /// <summary>Store this call's value uncompressed even when <see cref="CacheSerialOptions.Compression"/> is on (for
    /// payloads known not to compress, such as images or already-compressed data). Reads are unaffected.</summary>
    SkipCompression = 16,
}
