namespace CacheSerial.Internal;

/// <summary>A caller's key turned into the key sent to the store and the identity checked in the envelope.</summary>
internal readonly struct CacheKey
{
    public CacheKey(string key, string logicalKey, string storeKey)
    {
        Key = key;
        LogicalKey = logicalKey;
        StoreKey = storeKey;
        Hash = storeKey.GetHashCode();
    }

    /// <summary>As the caller passed it.</summary>
    public string Key { get; }

    /// <summary>Prefix and key joined injectively; its hash is the envelope's key check.</summary>
    public string LogicalKey { get; }

    /// <summary>What the store sees: the logical key, or its readable-head-plus-hash form when too long.</summary>
    public string StoreKey { get; }

    /// <summary><see cref="StoreKey"/>'s hash, computed once: a call asks the per-key generations and slots several times.</summary>
    public int Hash { get; }
}
