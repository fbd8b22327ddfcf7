namespace CacheSerial;

/// <summary>Overloads of <see cref="ITypedCache"/> that forward to its members without allocating a closure.</summary>
public static class TypedCacheExtensions
{
    /// <summary>Get-or-create with a factory that needs only a cancellation token.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The cache key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The cached or newly created value.</returns>
    public static ValueTask<T> GetOrCreateAsync<T>(
        this ITypedCache cache,
        string key,
        Func<CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(factory);
        return cache.GetOrCreateAsync(key, factory, static (f, _, ct) => f(ct), options, cancellationToken);
    }

    /// <summary>Get-or-create with a factory that reads or changes the <see cref="CacheFactoryContext"/>.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The cache key.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The cached or newly created value.</returns>
    public static ValueTask<T> GetOrCreateAsync<T>(
        this ITypedCache cache,
        string key,
        Func<CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(factory);
        return cache.GetOrCreateAsync(key, factory, static (f, ctx, ct) => f(ctx, ct), options, cancellationToken);
    }

    /// <summary>Reads a value, returning <see langword="default"/> on a miss (use <see cref="ITypedCache.TryGetAsync{T}"/>
    /// to tell a miss from a cached null).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The cache key.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The value, or <see langword="default"/>.</returns>
    public static ValueTask<T?> GetAsync<T>(
        this ITypedCache cache,
        string key,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var pending = cache.TryGetAsync<T>(key, options, cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<T?>(pending.Result.Value) : Await(pending);

        static async ValueTask<T?> Await(ValueTask<CacheResult<T>> pending) => (await pending.ConfigureAwait(false)).Value;
    }

    /// <summary>Writes a value with a relative time to live.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The cache key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expiration">Time to live.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the store has answered.</returns>
    public static ValueTask SetAsync<T>(
        this ITypedCache cache,
        string key,
        T value,
        TimeSpan expiration,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiration, TimeSpan.Zero); // names 'expiration', the caller's parameter
        return cache.SetAsync(key, value, new CacheEntryOptions { Expiration = expiration }, cancellationToken);
    }

    /// <summary>Removes every entry written with <paramref name="tag"/> until now (see <see cref="ITypedCache.RemoveByTagAsync"/>).</summary>
    /// <param name="cache">The cache.</param>
    /// <param name="tag">The tag.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store has answered (a store failure is logged, not thrown).</returns>
    /// <exception cref="ArgumentException"><paramref name="tag"/> is invalid.</exception>
    public static ValueTask RemoveByTagAsync(this ITypedCache cache, string tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        Internal.TagRules.Validate(tag, nameof(tag));
        return cache.RemoveByTagAsync([tag], cancellationToken);
    }

    /// <summary>Bulk get-or-create with a batch factory that needs only the missing keys and a cancellation token.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="keys">The cache keys.</param>
    /// <param name="batchFactory">Produces values for the missing keys it is given, keyed by those keys; keys it leaves out are not cached.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value of every requested key that was cached or produced.</returns>
    public static ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<T>(
        this ITypedCache cache,
        IReadOnlyList<string> keys,
        Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(batchFactory);
        return cache.GetOrCreateManyAsync(keys, batchFactory, static (f, missing, _, ct) => f(missing, ct), options, cancellationToken);
    }

    /// <summary>Bulk get-or-create with a batch factory that reads or changes the batch's <see cref="CacheFactoryContext"/>.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="keys">The cache keys.</param>
    /// <param name="batchFactory">Produces values for the missing keys it is given; the context's choices apply to all of them.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value of every requested key that was cached or produced.</returns>
    public static ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<T>(
        this ITypedCache cache,
        IReadOnlyList<string> keys,
        Func<IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(batchFactory);
        return cache.GetOrCreateManyAsync(keys, batchFactory, static (f, missing, ctx, ct) => f(missing, ctx, ct), options, cancellationToken);
    }

    /// <summary>Writes several values with one relative time to live.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="cache">The cache.</param>
    /// <param name="entries">The keys and their values.</param>
    /// <param name="expiration">Time to live of every entry.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the store has answered.</returns>
    public static ValueTask SetManyAsync<T>(
        this ITypedCache cache,
        IEnumerable<KeyValuePair<string, T>> entries,
        TimeSpan expiration,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiration, TimeSpan.Zero); // names 'expiration', the caller's parameter
        return cache.SetManyAsync(entries, new CacheEntryOptions { Expiration = expiration }, cancellationToken);
    }
}
