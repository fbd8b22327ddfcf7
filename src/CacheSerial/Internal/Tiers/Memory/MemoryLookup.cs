namespace CacheSerial.Internal;

/// <summary>What the memory tier found for a key.</summary>
internal enum MemoryLookup
{
    /// <summary>Nothing usable: read the store.</summary>
    Miss,

    /// <summary>A fresh entry: serve it, the store is not read.</summary>
    Hit,

    /// <summary>A fresh sliding entry whose window moved on: serve it, and renew the store's window in the background.</summary>
    HitRenewStore,

    /// <summary>An entry past its local lifetime or logically stale: read the store; fail-safe may serve it if that fails.</summary>
    Fallback,
}
