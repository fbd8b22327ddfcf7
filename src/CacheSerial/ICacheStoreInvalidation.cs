namespace CacheSerial;

/// <summary>
/// A store whose server reports which stored keys change (Redis server-assisted invalidation, <c>CLIENT TRACKING</c>):
/// offered by <see cref="ICacheStore.Invalidation"/>. The cache feeds it into the same place as its backplane, so
/// writes by any client (another application, a script, an expiry) evict this process's memory tier.
/// </summary>
public interface ICacheStoreInvalidation
{
    /// <summary>
    /// Starts reporting changes of the stored keys that begin with <paramref name="storedKeyPrefix"/> (every key when
    /// empty), except those this store's own connection makes (the cache already knows its own writes). Returns
    /// <see langword="null"/> when the server cannot do it (the cache then relies on its backplane, if any); throws when
    /// the server cannot be asked now (the cache retries). Disposing the result stops the reports.
    /// </summary>
    /// <param name="storedKeyPrefix">The prefix of the cache's stored keys.</param>
    /// <param name="listener">Gets the changed keys and the connection's changes.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The subscription, or null when unsupported.</returns>
    ValueTask<IAsyncDisposable?> SubscribeAsync(string storedKeyPrefix, ICacheStoreInvalidationListener listener, CancellationToken cancellationToken = default);
}
