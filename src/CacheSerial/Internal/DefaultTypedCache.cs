using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The one <see cref="ITypedCache"/> implementation, and only its facade: it checks keys and arguments, resolves the
/// call's policy, picks the codec and observes the call, then hands it to the <see cref="CachePipeline"/>. It does no
/// I/O. Each operation has one path (<see cref="Run"/>; get-or-create inlines it for its memory hits); observation wraps
/// it only while something listens.
/// See Internal/readme.md for the layers.
/// </summary>
internal sealed class DefaultTypedCache : ITypedCache, ICacheStoreHealth, IAsyncDisposable, IDisposable
{
    private readonly KeyBuilder _keys;
    private readonly CodecRegistry _codecs;
    private readonly EntryPolicyResolver _policies;
    private readonly CachePipeline _pipeline;
    private readonly CacheMetrics _metrics;
    private readonly InvalidationHub _hub;
    private readonly bool _plainJson;
    private readonly TimeSpan _tagMarkerLifetime;

    public DefaultTypedCache(
        string name,
        ICacheStore store,
        ICacheBackplane? backplane,
        CacheSerialOptions options,
        CodecRegistry codecs,
        MemoryTierOptions? memoryTier,
        IReadOnlyCollection<Type> sharedTypes,
        TimeProvider timeProvider,
        ILogger logger,
        CacheMetrics metrics)
    {
        Name = name;
        _keys = new KeyBuilder(options.KeyPrefix, options.MaximumKeyLength);
        _codecs = codecs;
        _policies = new EntryPolicyResolver(options.DefaultEntryOptions);
        _metrics = metrics;
        _plainJson = options.EntryLayout == CacheEntryLayout.PlainJson;
        _tagMarkerLifetime = options.TagMarkerLifetime;
        Tier = new DistributedTier(name, store, options, timeProvider, logger, metrics);

        // Plain JSON entries carry no write time, so no tag or clear can judge them: they are not checked.
        var markers = new TagMarkers(name, _keys, Tier, options.TagRefreshInterval, timeProvider, logger, metrics);
        var entries = new EntryCodec(name, _keys, options, codecs, timeProvider, logger, metrics, _plainJson ? null : markers, keepsPlainPayload: memoryTier is not null);
        MemoryTier? memory = null;
        if (memoryTier is not null)
        {
            memory = new MemoryTier(name, memoryTier, new SharedTypes(sharedTypes), timeProvider, logger, _plainJson ? null : markers);
            metrics.Track(name, memory);
        }

        _hub = new InvalidationHub(name, memory, markers, _keys, backplane, store.Invalidation, memoryTier, timeProvider, logger, metrics);
        _pipeline = new CachePipeline(name, memory, _hub, markers, Tier, entries, _keys, timeProvider, logger, metrics);
        _hub.Start();
    }

    public string Name { get; }

    string ICacheStoreHealth.CacheName => Name;

    CacheStoreState ICacheStoreHealth.State => Tier.Breaker.State;

    /// <summary>The layer that calls the store (its breaker, deadline and store).</summary>
    internal DistributedTier Tier { get; }

    /// <summary>Stops the invalidation sources (subscriptions, publisher, pings); the store is the container's to dispose.</summary>
    public ValueTask DisposeAsync() => _hub.DisposeAsync();

    public void Dispose() => _hub.DisposeAsync().AsTask().GetAwaiter().GetResult();

    public ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key); // checked in full where memory does not answer (CachePipeline.Memory.cs)
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        return Run(CacheOperation.Get, codec, batchSize: -1, (key, policy, codec),
            static (p, s, observed, ct) => p.GetAsync<T>(s.key, s.codec, s.policy, observed, ct), cancellationToken);
    }

    public ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key); // checked in full where memory does not answer (CachePipeline.Memory.cs)
        ArgumentNullException.ThrowIfNull(factory);
        var policy = _policies.Resolve(options);

        // A memory hit costs tens of nanoseconds: when nothing observes the call, a shared reference is taken before
        // anything generic is looked up (reference types share one compiled body, where each costs a lookup).
        var observed = ObservedOperation.IsObserved(_metrics);
        if (!typeof(T).IsValueType && !observed && _pipeline.TryTakeSharedReference(key, typeof(T), policy, out var shared))
        {
            return new ValueTask<T>(Unsafe.As<object?, T>(ref shared));
        }

        // Run's path without its delegate and state tuple when nothing observes.
        var codec = _codecs.For<T>();
        return observed
            ? ObserveAsync(CacheOperation.GetOrCreate, codec, batchSize: -1, (key, state, factory, policy, codec),
                static (p, s, observed, ct) => p.GetOrCreateAsync(s.key, s.state, s.factory, s.policy, s.codec, observed, ct), cancellationToken)
            : _pipeline.GetOrCreateAsync(key, state, factory, policy, codec, null, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        return Ignore(Run(CacheOperation.Set, codec, batchSize: -1, (k, value, policy, codec),
            static (p, s, observed, ct) => p.SetAsync(s.k, s.value, s.codec, s.policy, observed, ct), cancellationToken));
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        Ignore(Run(CacheOperation.Remove, codec: null, batchSize: -1, _keys.Build(key),
            static (p, k, _, ct) => p.RemoveAsync(k, ct), cancellationToken));

    public ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default) =>
        Ignore(Run(CacheOperation.Refresh, codec: null, batchSize: -1, _keys.Build(key),
            static (p, k, _, ct) => p.RefreshAsync(k, ct), cancellationToken));

    public ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (TagRules.Normalize(tags, nameof(tags), int.MaxValue) is not { } distinct)
        {
            return default;
        }

        return Ignore(Run(CacheOperation.RemoveByTag, codec: null, batchSize: distinct.Length, (distinct, _tagMarkerLifetime),
            static (p, s, _, ct) => p.RemoveByTagAsync(s.distinct, s._tagMarkerLifetime, ct), cancellationToken));
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        if (_plainJson)
        {
            throw new InvalidOperationException(
                $"Cache '{Name}' stores EntryLayout PlainJson, whose entries carry no write time, so ClearAsync cannot tell which to drop: use EntryLayout Envelope, or remove the keys one by one.");
        }

        return Ignore(Run(CacheOperation.Clear, codec: null, batchSize: -1, 0, static (p, _, _, ct) => p.ClearAsync(ct), cancellationToken));
    }

    public ValueTask<IReadOnlyList<CacheResult<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var batch = BuildBatch(keys);
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        return Run(CacheOperation.GetMany, codec, batch.Positions.Length, (batch, policy, codec), static async (p, s, _, ct) =>
        {
            var reads = await p.GetManyAsync<T>(s.batch.Unique, s.codec, s.policy, ct).ConfigureAwait(false);
            var results = new CacheResult<T>[s.batch.Positions.Length];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = reads[s.batch.Positions[i]].ToResult();
            }

            return (IReadOnlyList<CacheResult<T>>)results;
        }, cancellationToken);
    }

    public ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);

        // Every key is checked before anything is encoded; a key given twice keeps its last value (one write per key,
        // since a store may run a batch's writes in any order).
        var keys = new List<CacheKey>();
        var values = new List<T>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var k = _keys.Build(entry.Key, nameof(entries));
            if (positions.TryGetValue(k.StoreKey, out var at))
            {
                values[at] = entry.Value;
                continue;
            }

            positions.Add(k.StoreKey, keys.Count);
            keys.Add(k);
            values.Add(entry.Value);
        }

        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        return Ignore(Run(CacheOperation.SetMany, codec, keys.Count, (keys, values, policy, codec),
            static (p, s, _, ct) => p.SetManyAsync(s.keys, s.values, s.codec, s.policy, ct), cancellationToken));
    }

    public ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<TState, T>(
        IReadOnlyList<string> keys,
        TState state,
        Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var batch = BuildBatch(keys);
        ArgumentNullException.ThrowIfNull(batchFactory);
        var job = new BatchFactoryJob<TState, T>(Name, state, batchFactory, _policies.Resolve(options), _codecs.For<T>());
        return Run(CacheOperation.GetOrCreateMany, job.Codec, batch.Positions.Length, (batch.Unique, job),
            static (p, s, observed, ct) => p.GetOrCreateManyAsync(s.Unique, s.job, observed, ct), cancellationToken);
    }

    /// <summary>
    /// The one path of every operation: straight to the pipeline, or, while an activity listener or the duration
    /// histogram listens, inside an observed operation that the pipeline annotates (outcome, payload size, factory run).
    /// </summary>
    private ValueTask<TResult> Run<TState, TResult>(
        CacheOperation operation,
        CodecInfo? codec,
        int batchSize,
        TState state,
        Func<CachePipeline, TState, ObservedOperation?, CancellationToken, ValueTask<TResult>> run,
        CancellationToken cancellationToken) =>
        ObservedOperation.IsObserved(_metrics)
            ? ObserveAsync(operation, codec, batchSize, state, run, cancellationToken)
            : run(_pipeline, state, null, cancellationToken);

    // An async method: the operation's activity becomes Activity.Current for the call and is restored on return.
    private async ValueTask<TResult> ObserveAsync<TState, TResult>(
        CacheOperation operation,
        CodecInfo? codec,
        int batchSize,
        TState state,
        Func<CachePipeline, TState, ObservedOperation?, CancellationToken, ValueTask<TResult>> run,
        CancellationToken cancellationToken)
    {
        var observed = ObservedOperation.Start(_metrics, Name, codec?.Name, operation);
        if (observed is not null && batchSize >= 0)
        {
            observed.BatchSize = batchSize;
        }

        TResult result;
        try
        {
            result = await run(_pipeline, state, observed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
        return result;
    }

    /// <summary>A write-side call's confirmation is not the caller's business (failures were logged): allocation-free when synchronous.</summary>
    private static ValueTask Ignore(ValueTask<bool> call)
    {
        if (call.IsCompletedSuccessfully)
        {
            return default;
        }

        return AwaitAsync(call);

        static async ValueTask AwaitAsync(ValueTask<bool> pending) => await pending.ConfigureAwait(false);
    }

    private KeyBatch BuildBatch(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var positions = new int[keys.Count];
        var unique = new List<CacheKey>(keys.Count);
        var seen = new Dictionary<string, int>(keys.Count, StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var k = _keys.Build(keys[i], nameof(keys));
            if (!seen.TryGetValue(k.StoreKey, out var at))
            {
                at = unique.Count;
                seen.Add(k.StoreKey, at);
                unique.Add(k);
            }

            positions[i] = at;
        }

        return new KeyBatch([.. unique], positions);
    }

    /// <summary>A bulk call's keys: the distinct ones, and for each requested position the index of its distinct key.</summary>
    private readonly record struct KeyBatch(CacheKey[] Unique, int[] Positions);
}
