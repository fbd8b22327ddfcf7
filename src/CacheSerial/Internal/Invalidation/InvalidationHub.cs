namespace CacheSerial.Internal;

/// <summary>
/// The one place that evicts keys from the memory tier: this process's removes now; other processes' writes and
/// removes (backplane, server-assisted invalidation) feed it too. Without a memory tier it does nothing.
/// </summary>
internal sealed class InvalidationHub(MemoryTier? memory)
{
    /// <summary>A key changed or left the store: memory must not serve what it holds for it.</summary>
    public void Evict(string key) => memory?.Remove(key);
}
