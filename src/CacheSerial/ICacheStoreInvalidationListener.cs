namespace CacheSerial;

/// <summary>What an <see cref="ICacheStoreInvalidation"/> tells the cache (implemented by the cache). Its members never throw.</summary>
public interface ICacheStoreInvalidationListener
{
    /// <summary>The stored key changed or left the store.</summary>
    /// <param name="storedKey">The key as stored.</param>
    void OnKeyChanged(string storedKey);

    /// <summary>Any key may have changed (the server flushed, or lost track): the memory tier is flushed.</summary>
    void OnAllChanged();

    /// <summary>Reports may be lost from now on: memory serves only for a short bound.</summary>
    void OnConnectionLost();

    /// <summary>Reporting works again (re-armed on the new connection): the memory tier is flushed and trusted again.</summary>
    void OnConnectionRestored();
}
