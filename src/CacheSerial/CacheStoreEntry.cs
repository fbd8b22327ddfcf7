namespace CacheSerial;

/// <summary>One entry of <see cref="ICacheStore.SetManyAsync"/>.</summary>
public readonly struct CacheStoreEntry
{
    /// <summary>Creates an entry.</summary>
    /// <param name="key">The stored key.</param>
    /// <param name="value">The entry's bytes.</param>
    /// <param name="options">How long the store keeps it.</param>
    public CacheStoreEntry(string key, ReadOnlyMemory<byte> value, CacheStoreEntryOptions options)
    {
        Key = key;
        Value = value;
        Options = options;
    }

    /// <summary>The stored key.</summary>
    public string Key { get; }

    /// <summary>The entry's bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>How long the store keeps it.</summary>
    public CacheStoreEntryOptions Options { get; }
}
