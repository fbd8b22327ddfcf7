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

    /// <summary>
    /// Removes every entry written with any of <paramref name="tags"/> (<see cref="CacheEntryOptions.Tags"/>,
    /// <see cref="CacheFactoryContext.Tags"/>) until now, in every process: entries written at or before this call are
    /// misses from then on, in this process at once and in the others within the documented bound (docs/tags.md).
    /// Entries written later with the same tags are not affected.
    /// </summary>
    /// <param name="tags">The tags; an empty list does nothing.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tags"/> or one of its tags is null.</exception>
    /// <exception cref="ArgumentException">A tag is invalid (see <see cref="CacheEntryOptions.Tags"/>).</exception>
    ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every entry this cache wrote until now, in every process (as <see cref="RemoveByTagAsync"/> does for a
    /// tag). Other caches on the same store (another <see cref="CacheSerialOptions.KeyPrefix"/>) keep theirs. Entries
    /// stay in the store until they expire, never served.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    /// <exception cref="InvalidOperationException">The cache stores <see cref="CacheEntryLayout.PlainJson"/>, whose entries carry no write time.</exception>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads several entries with one store call (Redis <c>MGET</c> with the native store). Each entry is checked as
    /// <see cref="TryGetAsync{T}"/> checks it; a rejected entry is a logged miss. A failed or timed-out store call makes
    /// every key a miss.
    /// </summary>
    /// <typeparam name="T">The type the entries were written as.</typeparam>
    /// <param name="keys">The cache keys; duplicates are allowed (they are read once and share the result).</param>
    /// <param name="options">Per-call options; <see cref="CacheEntryOptions.Flags"/> and <see cref="CacheEntryOptions.FailSafe"/> apply.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>One result per key, in the order of <paramref name="keys"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="keys"/> or one of its keys is null.</exception>
    /// <exception cref="ArgumentException">A key is invalid.</exception>
    ValueTask<IReadOnlyList<CacheResult<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes several entries with one store call (pipelined with the native Redis store). Every value is encoded first:
    /// a value the codec cannot write throws before anything is written. When a key appears more than once, its last value
    /// is written.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="entries">The keys and their values; a <see langword="null"/> value is stored as a cached null.</param>
    /// <param name="options">Per-call options, applied to every entry; unset members inherit <see cref="CacheSerialOptions.DefaultEntryOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entries"/> or one of its keys is null.</exception>
    /// <exception cref="ArgumentException">A key or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="CacheSerializationException">The codec cannot write one of the values.</exception>
    ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the cached values for <paramref name="keys"/> (one store read) and calls <paramref name="batchFactory"/>
    /// once with only the keys that missed, then stores what it returned with one store write.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Stampede control is per key, shared with <see cref="GetOrCreateAsync{TState, T}"/>: a missing key another caller
    /// in this process is already producing is not passed to the factory, this call waits for that run instead; and a
    /// concurrent <see cref="GetOrCreateAsync{TState, T}"/> of a key in this batch waits for the batch.
    /// </para>
    /// <para>
    /// One <see cref="CacheFactoryContext"/> serves the whole batch: its lifetime, <see cref="CacheFactoryContext.DoNotCache"/>,
    /// <see cref="CacheFactoryContext.IsNegative"/> and <see cref="CacheFactoryContext.Fail"/> apply to every entry it
    /// returns. Its <see cref="CacheFactoryContext.Key"/> is empty and it carries no stale value.
    /// </para>
    /// <para>
    /// Keys the factory leaves out of its dictionary are not cached and are absent from the result (a concurrent
    /// <see cref="GetOrCreateAsync{TState, T}"/> caller of such a key then runs its own factory). If the factory throws
    /// (or calls <see cref="CacheFactoryContext.Fail"/>), keys with a stale value under fail-safe get that value, and
    /// the exception reaches the caller when a requested key has none. <see cref="CacheEntryOptions.FactorySoftTimeout"/>
    /// and <see cref="CacheEntryOptions.FactoryHardTimeout"/> apply per key as for a single key.
    /// </para>
    /// </remarks>
    /// <typeparam name="TState">State handed to the factory, so that callers need no closure.</typeparam>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="keys">The cache keys; duplicates are allowed.</param>
    /// <param name="state">Passed to <paramref name="batchFactory"/> as is.</param>
    /// <param name="batchFactory">
    /// Produces values for the keys it is given (the missing ones, each once), keyed by those keys. Its token is cancelled
    /// only when every caller waiting for any of its keys has gone.
    /// </param>
    /// <param name="options">Per-call options; unset members inherit <see cref="CacheSerialOptions.DefaultEntryOptions"/>.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value of every requested key that was cached or produced, keyed by the caller's key (ordinal).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="keys"/>, one of its keys or <paramref name="batchFactory"/> is null.</exception>
    /// <exception cref="ArgumentException">A key or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="CacheSerializationException">The codec cannot write one of the factory's values.</exception>
    ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<TState, T>(
        IReadOnlyList<string> keys,
        TState state,
        Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default);
}
