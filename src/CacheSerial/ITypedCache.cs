namespace CacheSerial;

/// <summary>
/// A typed cache over an <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/>: values are encoded by a
/// codec into a checked envelope on write and decoded on read. Overloads that only forward live in
/// <see cref="TypedCacheExtensions"/>.
/// </summary>
/// <remarks>
/// Store failures never reach the caller: a failed or rejected read is a miss, a failed write is logged.
/// Caller mistakes (invalid key, invalid options, a value the codec cannot write) throw at the call site.
/// </remarks>
public interface ITypedCache
{
    /// <summary>Reads the entry stored under <paramref name="key"/>.</summary>
    /// <typeparam name="T">The type the entry was written as; an entry written as another type is a miss.</typeparam>
    /// <param name="key">The cache key (not null, empty or white space; no control characters).</param>
    /// <param name="options">Per-call options; only <see cref="CacheEntryOptions.Flags"/> applies to a read.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>A hit (possibly a cached <see langword="null"/>) or a miss.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is invalid.</exception>
    ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the cached value for <paramref name="key"/>, or runs <paramref name="factory"/> once (shared by every
    /// concurrent caller of the same key in this process, and across processes when the store has an
    /// <see cref="ICacheStore.DistributedLock"/>), stores its result and returns it.
    /// </summary>
    /// <typeparam name="TState">State handed to the factory, so that callers need no closure.</typeparam>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="key">The cache key (not null, empty or white space; no control characters).</param>
    /// <param name="state">Passed to <paramref name="factory"/> as is.</param>
    /// <param name="factory">Produces the value on a miss. Its token is cancelled only when every waiting caller has gone.</param>
    /// <param name="options">Per-call options; unset members inherit <see cref="CacheSerialOptions.DefaultEntryOptions"/>.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The cached or newly created value.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="CacheSerializationException">The codec cannot write the factory's value.</exception>
    ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/>.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as a cached null.</param>
    /// <param name="options">Per-call options; unset members inherit <see cref="CacheSerialOptions.DefaultEntryOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="CacheSerializationException">The codec cannot write <paramref name="value"/>.</exception>
    ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry stored under <paramref name="key"/>, if any.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Resets the sliding expiration of the entry under <paramref name="key"/> without reading it.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default);
}
