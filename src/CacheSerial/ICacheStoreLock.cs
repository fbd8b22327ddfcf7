namespace CacheSerial;

/// <summary>
/// A lock every process of a store sees, keyed by an entry's stored key. With it, concurrent misses of one key in
/// several processes run the factory once: the others wait, re-reading the cache, for at most <see cref="WaitTimeout"/>.
/// </summary>
public interface ICacheStoreLock
{
    /// <summary>How long a caller waits for another holder's value before running its own factory.</summary>
    TimeSpan WaitTimeout { get; }

    /// <summary>Tries once to take the lock for an entry.</summary>
    /// <param name="key">The entry's stored key (the store derives the lock's own key from it).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A token that releases the lock, or <see langword="null"/> when another holder has it.</returns>
    ValueTask<string?> TryAcquireAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Releases a lock taken with <see cref="TryAcquireAsync"/>, only if it is still held with that token.</summary>
    /// <param name="key">The entry's stored key.</param>
    /// <param name="token">The token <see cref="TryAcquireAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store answered.</returns>
    ValueTask ReleaseAsync(string key, string token, CancellationToken cancellationToken = default);
}
