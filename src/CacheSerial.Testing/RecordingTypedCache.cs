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
        var outcome = !result.HasValue ? CacheOutcome.Miss
            : result.IsStale ? CacheOutcome.Stale
            : result.IsNegative ? CacheOutcome.Negative
            : CacheOutcome.Hit;
        _calls.Enqueue(new CacheCall(CacheOperation.TryGet, key, outcome, FactoryRan: false));
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
    public async ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        await _inner.RefreshAsync(key, cancellationToken).ConfigureAwait(false);
        _calls.Enqueue(new CacheCall(CacheOperation.Refresh, key, CacheOutcome.None, FactoryRan: false));
    }

    // Set by the factory wrapper, read after the awaited call: the await orders the accesses.
    private sealed class FactoryRun
    {
        public bool Started { get; set; }

        public bool Failed { get; set; }
    }
}
