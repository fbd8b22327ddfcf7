using System.Buffers;
using CacheSerial.Internal;

namespace CacheSerial;

/// <summary>
/// Where a cache keeps its encoded entries. CacheSerial adapts any <c>IDistributedCache</c> to it; the
/// <c>CacheSerial.StackExchangeRedis</c> package implements it natively for Redis. Choose a store per cache with
/// <c>UseStore</c> (or <c>UseStackExchangeRedis</c>); without one, the cache uses the registered <c>IDistributedCache</c>.
/// </summary>
/// <remarks>
/// The cache calls a store under its own deadline and circuit breaker, so a store need not time out by itself; it
/// reports failures by throwing (<see cref="CacheStoreWrongTypeException"/> when a key holds another client's value of
/// another kind). Keys arrive already prefixed and checked. Values are opaque bytes.
/// </remarks>
public interface ICacheStore
{
    /// <summary>Reads an entry's bytes.</summary>
    /// <param name="key">The stored key.</param>
    /// <param name="slidingExpiration">
    /// The entry's sliding expiration when the caller's options name one: a store that renews on read (Redis <c>GETEX</c>)
    /// renews it for this long. Stores that keep the sliding window themselves (<c>IDistributedCache</c>) ignore it.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The bytes with what owns them (<see cref="CacheStoreLease.None"/> when the entry is absent). The cache disposes the
    /// lease once it has decoded the bytes, or when the read ends after the cache stopped waiting for it.
    /// </returns>
    ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default);

    /// <summary>Writes an entry, replacing any value under the key.</summary>
    /// <param name="key">The stored key.</param>
    /// <param name="value">The entry's bytes; valid only until the returned task completes.</param>
    /// <param name="options">How long the store keeps the entry.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the store confirmed the write.</returns>
    ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default);

    /// <summary>Removes an entry; removing an absent key is not an error.</summary>
    /// <param name="key">The stored key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store confirmed it.</returns>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Renews a sliding entry without reading it.</summary>
    /// <param name="key">The stored key.</param>
    /// <param name="slidingExpiration">The cache's default sliding expiration, if it has one (see <see cref="GetAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store confirmed it.</returns>
    ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads several entries. The default calls <see cref="GetAsync"/> for each key, a few at a time; a store with a
    /// multi-key command (Redis <c>MGET</c>) overrides it.
    /// </summary>
    /// <param name="keys">The stored keys.</param>
    /// <param name="slidingExpiration">As for <see cref="GetAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>One lease per key, in order (<see cref="CacheStoreLease.None"/> for an absent entry); the cache disposes each.</returns>
    ValueTask<CacheStoreLease[]> GetManyAsync(IReadOnlyList<string> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
        StoreBatch.GetManyAsync(this, keys, slidingExpiration, cancellationToken);

    /// <summary>
    /// Writes several entries. The default calls <see cref="SetAsync"/> for each, a few at a time; a store that can
    /// pipeline overrides it.
    /// </summary>
    /// <param name="entries">The entries; their bytes are valid only until the returned task completes.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when every write was confirmed; it fails if any write failed.</returns>
    ValueTask SetManyAsync(IReadOnlyList<CacheStoreEntry> entries, CancellationToken cancellationToken = default) =>
        StoreBatch.SetManyAsync(this, entries, cancellationToken);

    /// <summary>
    /// A lock shared by every process using this store, used so that one process at a time runs the factory for a key;
    /// <see langword="null"/> (the default) when the store has none or it is turned off.
    /// </summary>
    ICacheStoreLock? DistributedLock => null;

    /// <summary>
    /// The server's reports of changed keys, used to keep memory tiers coherent; <see langword="null"/> (the default)
    /// when the store has none or it is turned off.
    /// </summary>
    ICacheStoreInvalidation? Invalidation => null;
}
