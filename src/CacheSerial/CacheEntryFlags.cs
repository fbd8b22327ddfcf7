namespace CacheSerial;

/// <summary>Per-call switches for the store.</summary>
[Flags]
public enum CacheEntryFlags
{
    /// <summary>Read and write the store as usual.</summary>
    None = 0,

    /// <summary>Do not read the store: reads are misses and get-or-create always runs the factory.</summary>
    SkipRead = 1,

    /// <summary>Do not write the store: values are returned but not stored.</summary>
    SkipWrite = 2,
}
