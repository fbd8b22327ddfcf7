using System.Collections.Concurrent;

namespace CacheSerial.Testing;

/// <summary>
/// An <see cref="ITypedCache"/> decorator that records every call (operation, key, hit or miss, whether the factory ran)
/// and forwards it unchanged. Thread-safe.
/// </summary>
/// <param name="inner">The cache the calls go to.</param>
public sealed class RecordingTypedCache(ITypedCache inner) : ITypedCache
{
    private readonly ITypedCache _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly ConcurrentQueue<CacheCall> _calls = new();

    /// <summary>Every call so far, in the order they finished.</summary>
    public IReadOnlyList<CacheCall> Calls => [.. _calls];

    /// <summary>Forgets the calls recorded so far (for example after arranging a test's data).</summary>
    public void Clear() => _calls.Clear();

    /// <inheritdoc />
    public async ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await _inner.TryGetAsync<T>(key, options, cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.TryGet, key, OutcomeOf(result), FactoryRan: false));
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var run = new FactoryRun();
        try
        {
            var value = await _inner.GetOrCreateAsync(
                key,
                (state, factory, run),
                static async (s, context, ct) =>
                {
                    s.run.Started = true;
                    try
                    {
                        return await s.factory(s.state, context, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        s.run.Failed = true;
                        throw;
                    }
                },
                options,
                cancellationToken).ConfigureAwait(false);
            var outcome = !run.Started ? CacheOutcome.Hit : run.Failed ? CacheOutcome.Stale : CacheOutcome.Miss;
            _calls.Enqueue(new CacheCall(CacheOperation.GetOrCreate, key, outcome, run.Started));
            return value;
        }
        catch
        {
            _calls.Enqueue(new CacheCall(CacheOperation.GetOrCreate, key, CacheOutcome.None, run.Started));
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _inner.SetAsync(key, value, options, cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.Set, key, CacheOutcome.None, FactoryRan: false));
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        await _inner.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.Remove, key, CacheOutcome.None, FactoryRan: false));
    }

    /// <inheritdoc />
    public async ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var list = tags.ToList();
        await _inner.RemoveByTagAsync(list, cancellationToken).ConfigureAwait(false);
        foreach (var tag in list.Distinct(StringComparer.Ordinal))
        {
            _calls.Enqueue(new CacheCall(CacheOperation.RemoveByTag, tag, CacheOutcome.None, FactoryRan: false));
        }
    }

    /// <inheritdoc />
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        await _inner.ClearAsync(cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.Clear, string.Empty, CacheOutcome.None, FactoryRan: false));
    }

    /// <inheritdoc />
    public async ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        await _inner.RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.Refresh, key, CacheOutcome.None, FactoryRan: false));
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CacheResult<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var results = await _inner.GetManyAsync<T>(keys, options, cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count && i < results.Count; i++)
        {
            if (seen.Add(keys[i]))
            {
                _calls.Enqueue(new CacheCall(CacheOperation.GetMany, keys[i], OutcomeOf(results[i]), FactoryRan: false));
            }
        }

        return results;
    }

    /// <inheritdoc />
    public async ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries as IReadOnlyCollection<KeyValuePair<string, T>> ?? [.. entries]; // enumerated once, here and by the cache
        await _inner.SetManyAsync(list, options, cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in list)
        {
            if (seen.Add(entry.Key))
            {
                _calls.Enqueue(new CacheCall(CacheOperation.SetMany, entry.Key, CacheOutcome.None, FactoryRan: false));
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<TState, T>(
        IReadOnlyList<string> keys,
        TState state,
        Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(batchFactory);
        var run = new BatchRun();
        IReadOnlyDictionary<string, T> values;
        try
        {
            values = await _inner.GetOrCreateManyAsync(
                keys,
                (state, batchFactory, run),
                static async (s, missing, context, ct) =>
                {
                    s.run.Started(missing);
                    try
                    {
                        return await s.batchFactory(s.state, missing, context, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        s.run.Failed = true;
                        throw;
                    }
                },
                options,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            RecordBatch(keys, run, static (_, _) => CacheOutcome.None);
            throw;
        }

        RecordBatch(keys, run, (key, ran) => !ran ? CacheOutcome.Hit : run.Failed && values.ContainsKey(key) ? CacheOutcome.Stale : CacheOutcome.Miss);
        return values;
    }

    private static CacheOutcome OutcomeOf<T>(CacheResult<T> result) =>
        !result.HasValue ? CacheOutcome.Miss
        : result.IsStale ? CacheOutcome.Stale
        : result.IsNegative ? CacheOutcome.Negative
        : CacheOutcome.Hit;

    private void RecordBatch(IReadOnlyList<string> keys, BatchRun run, Func<string, bool, CacheOutcome> outcome)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key is not null && seen.Add(key))
            {
                var ran = run.Ran(key);
                _calls.Enqueue(new CacheCall(CacheOperation.GetOrCreateMany, key, outcome(key, ran), ran));
            }
        }
    }

    // Set by the factory wrapper, read after the awaited call: the await orders the accesses.
    private sealed class FactoryRun
    {
        public bool Started { get; set; }

        public bool Failed { get; set; }
    }

    // The keys this call's batch factory was given; a background refresh may add to them concurrently, hence the lock.
    private sealed class BatchRun
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        public bool Failed { get; set; }

        public void Started(IReadOnlyList<string> keys)
        {
            lock (_keys)
            {
                _keys.UnionWith(keys);
            }
        }

        public bool Ran(string key)
        {
            lock (_keys)
            {
                return _keys.Contains(key);
            }
        }
    }
}
