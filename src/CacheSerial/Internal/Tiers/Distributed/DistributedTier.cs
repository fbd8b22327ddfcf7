using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The only caller of a cache's <see cref="ICacheStore"/> (and of its lock). Every call goes through one wrapper
/// (<see cref="CallAsync"/>): the circuit breaker decides whether it is made, the deadline (<see cref="StoreCallDeadline"/>)
/// bounds the wait, and its end is classified: an answer, another client's value of another kind (a miss, and proof the
/// store answers), a failure (logged, counted, reported to the breaker; never thrown) or the caller's cancellation
/// (thrown). A call given up at the deadline keeps the buffers it was given until the store lets go of them.
/// </summary>
internal sealed class DistributedTier
{
    private readonly string _name;
    private readonly ICacheStore _store;
    private readonly ICacheStoreLock? _lock;
    private readonly TimeSpan? _defaultSliding;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;

    public DistributedTier(string name, ICacheStore store, CacheSerialOptions options, TimeProvider time, ILogger logger, CacheMetrics metrics)
    {
        _name = name;
        _store = store;
        _lock = store.DistributedLock;
        _defaultSliding = options.DefaultEntryOptions.SlidingExpiration;
        _timeout = options.DistributedCacheTimeout;
        _logger = logger;
        _metrics = metrics;
        Breaker = new CircuitBreaker(name, options.CircuitBreakerDuration, options.CircuitBreakerFailureThreshold, time, logger, metrics);
        Deadline = new StoreCallDeadline(_timeout, time) { OnAbandonedCallFailed = OnAbandonedCallFailed };
    }

    public CircuitBreaker Breaker { get; }

    public StoreCallDeadline Deadline { get; }

    /// <summary>The store's cross-process lock, or null when it has none.</summary>
    public ICacheStoreLock? Lock => _lock;

    /// <summary>An entry's bytes; <see cref="CacheStoreLease.None"/> for a miss, an open breaker, a failure or a timeout.</summary>
    public ValueTask<CacheStoreLease> ReadAsync(CacheKey key, TimeSpan? slidingExpiration, CancellationToken cancellationToken) =>
        CallAsync(StoreOperation.Read, new StoreTarget(key), (_store, key.StoreKey, slidingExpiration),
            static (s, ct) => s._store.GetAsync(s.StoreKey, s.slidingExpiration, ct), null, cancellationToken);

    /// <summary>Several entries' bytes with one store call, in key order; null when the call failed, timed out or was skipped.</summary>
    public async ValueTask<CacheStoreLease[]?> ReadManyAsync(IReadOnlyList<CacheKey> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var storeKeys = new string[keys.Count];
        for (var i = 0; i < storeKeys.Length; i++)
        {
            storeKeys[i] = keys[i].StoreKey;
        }

        return await CallAsync(StoreOperation.Read, new StoreTarget(keys), (_store, storeKeys, slidingExpiration), static async (s, ct) =>
        {
            var found = await s._store.GetManyAsync(s.storeKeys, s.slidingExpiration, ct).ConfigureAwait(false);
            if (found is null || found.Length != s.storeKeys.Length)
            {
                throw new InvalidOperationException(
                    $"The store's GetManyAsync returned {found?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} results for {s.storeKeys.Length} keys.");
            }

            return found;
        }, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one encoded entry and returns its buffer to the pool (at once, or when a call given up at the deadline ends).</summary>
    /// <returns>Whether the store confirmed the write.</returns>
    public ValueTask<bool> WriteAsync(CacheKey key, PooledBufferWriter encoded, CacheStoreEntryOptions options, CancellationToken cancellationToken) =>
        CallAsync(StoreOperation.Write, new StoreTarget(key), (this, key, encoded, options),
            static (s, ct) => s.Item1.SetReplacingAsync(s.key.StoreKey, s.encoded.WrittenMemory, s.options, ct), encoded, cancellationToken);

    /// <summary>Writes encoded entries with one store call; takes ownership of <paramref name="entries"/> (as <see cref="WriteAsync"/>).</summary>
    public ValueTask<bool> WriteManyAsync(EncodedEntries entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            entries.Dispose();
            return new ValueTask<bool>(true);
        }

        return CallAsync(StoreOperation.Write, new StoreTarget(entries), (this, entries), static async (s, ct) =>
        {
            try
            {
                await s.Item1._store.SetManyAsync(s.entries.ToStoreEntries(), ct).ConfigureAwait(false);
            }
            catch (CacheStoreWrongTypeException)
            {
                // A key holds another client's value of another kind: each entry is written alone, replacing it.
                for (var i = 0; i < s.entries.Count; i++)
                {
                    await s.Item1.SetReplacingAsync(s.entries[i].StoreKey, s.entries.BufferAt(i).WrittenMemory, s.entries.OptionsAt(i), ct).ConfigureAwait(false);
                }
            }

            return true;
        }, entries, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken) =>
        CallAsync(StoreOperation.Remove, new StoreTarget(key), (_store, key.StoreKey),
            static (s, ct) => Answered(s._store.RemoveAsync(s.StoreKey, ct)), null, cancellationToken);

    /// <summary>Renews a sliding entry by the cache's default sliding expiration.</summary>
    public ValueTask<bool> RefreshAsync(CacheKey key, CancellationToken cancellationToken) =>
        RefreshAsync(key, _defaultSliding, cancellationToken);

    /// <summary>Renews a sliding entry by <paramref name="window"/> (a store that keeps each entry's window uses its own).</summary>
    public ValueTask<bool> RefreshAsync(CacheKey key, TimeSpan? window, CancellationToken cancellationToken) =>
        CallAsync(StoreOperation.Refresh, new StoreTarget(key), (_store, key.StoreKey, window),
            static (s, ct) => Answered(s._store.RefreshAsync(s.StoreKey, s.window, ct)), null, cancellationToken);

    /// <summary>
    /// Tries once to take the store's lock for a key. Not cancellable: the deadline bounds it, and a flight whose callers
    /// all left must still be able to release what it took.
    /// </summary>
    public ValueTask<LockAnswer> AcquireLockAsync(CacheKey key) =>
        CallAsync(StoreOperation.LockAcquire, new StoreTarget(key), (_lock!, key.StoreKey), static async (s, ct) =>
            new LockAnswer(true, await s.Item1.TryAcquireAsync(s.StoreKey, ct).ConfigureAwait(false)), null, CancellationToken.None);

    /// <summary>Releases a lock this process holds; a failure is logged (5005), never thrown: the lock's lease frees it.</summary>
    public ValueTask<bool> ReleaseLockAsync(CacheKey key, string token) =>
        CallAsync(StoreOperation.LockRelease, new StoreTarget(key), (_lock!, key.StoreKey, token),
            static (s, ct) => Answered(s.Item1.ReleaseAsync(s.StoreKey, s.token, ct)), null, CancellationToken.None);

    /// <summary>
    /// The one wrapper around a store call. Skipped while the breaker is open; raced against the deadline and
    /// <paramref name="cancellationToken"/>; <paramref name="lease"/> (the bytes the call sends) is disposed when the call
    /// ends, even after the caller gave up on it. Returns the store's answer, or default when there was none.
    /// </summary>
    /// <remarks>Pooled (each ValueTask is awaited once): a call that waits for the store allocates no state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> CallAsync<TState, T>(
        StoreOperation operation,
        StoreTarget target,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> call,
        IDisposable? lease,
        CancellationToken cancellationToken)
    {
        if (!Breaker.TryEnter())
        {
            Skipped(operation, target);
            lease?.Dispose();
            return default!;
        }

        try
        {
            var pending = call(state, cancellationToken);
            T value;
            if (pending.IsCompletedSuccessfully)
            {
                value = pending.Result;
            }
            else
            {
                var outcome = await Deadline.WaitAsync(pending, lease, cancellationToken).ConfigureAwait(false);
                if (outcome.Abandoned)
                {
                    lease = null; // the race disposes it once the store call ends
                }

                value = ResultOf(outcome, cancellationToken);
            }

            Breaker.OnSuccess();
            return value;
        }
        catch (CacheStoreWrongTypeException ex)
        {
            // Another client's value of another kind: a data problem, and proof the store answers (a probing call must
            // close the breaker, not leave it probing). Writes replace such a value before it gets here.
            _metrics.StoreError(_name, operation, ex);
            Log.WrongTypeRead(_logger, _name);
            var described = target.Describe(_logger);
            Log.StoreFailureDetail(_logger, _name, operation, described, ex);
            Breaker.OnSuccess();
            return default!;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.StoreError(_name, operation, ex);
            Log.StoreFailed(_logger, _name, operation, target.Describe(_logger), ex);
            Breaker.OnFailure();
            return default!;
        }
        catch (OperationCanceledException)
        {
            Breaker.OnAbandoned();
            throw;
        }
        finally
        {
            lease?.Dispose();
        }
    }

    /// <summary>
    /// A write that meets another client's value of another kind removes it and writes once more; all within one call
    /// of the wrapper, so under one deadline.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SetReplacingAsync(string storeKey, ReadOnlyMemory<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken)
    {
        var bytes = new System.Buffers.ReadOnlySequence<byte>(value);
        try
        {
            await _store.SetAsync(storeKey, bytes, options, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheStoreWrongTypeException)
        {
            Log.WrongTypeReplaced(_logger, _name);
            await _store.RemoveAsync(storeKey, cancellationToken).ConfigureAwait(false);
            await _store.SetAsync(storeKey, bytes, options, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>A store call without a result as one that answers true; allocation-free when it completes synchronously.</summary>
    private static ValueTask<bool> Answered(ValueTask call)
    {
        if (call.IsCompletedSuccessfully)
        {
            return new ValueTask<bool>(true);
        }

        return AwaitAsync(call);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<bool> AwaitAsync(ValueTask pending)
        {
            await pending.ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>
    /// The store's answer, or what ended the wait: the store's exception, a <see cref="TimeoutException"/> naming the
    /// option at the deadline (rather than a client's "operation timed out"), or the caller's cancellation.
    /// </summary>
    private T ResultOf<T>(in StoreCallOutcome<T> outcome, CancellationToken cancellationToken)
    {
        switch (outcome.End)
        {
            case StoreCallEnd.Completed:
                return outcome.Value;
            case StoreCallEnd.Faulted:
                ExceptionDispatchInfo.Throw(outcome.Error!);
                return default!;
            case StoreCallEnd.TimedOut:
                throw new TimeoutException($"The store did not answer within {_timeout.TotalMilliseconds} ms (CacheSerialOptions.DistributedCacheTimeout).");
            default:
                throw new OperationCanceledException(cancellationToken);
        }
    }

    private void Skipped(StoreOperation operation, StoreTarget target)
    {
        if (operation == StoreOperation.Write)
        {
            for (var i = 0; i < target.Count; i++)
            {
                _metrics.WriteSkipped(_name, CacheTags.BreakerOpen);
            }
        }

        // Reads are not logged: while the breaker is open, every lookup would add a line.
        if (operation != StoreOperation.Read && _logger.IsEnabled(LogLevel.Debug))
        {
            var described = target.Describe(_logger);
            Log.StoreCallSkipped(_logger, _name, operation, described);
        }
    }

    /// <summary>A call given up at the deadline (or by its caller) failed later: its real error, so that an unreachable
    /// store is not seen as a slow one only.</summary>
    private void OnAbandonedCallFailed(Exception exception)
    {
        Log.AbandonedStoreCallFailed(_logger, _name, exception.GetType().Name);
        Log.AbandonedStoreCallFailedDetail(_logger, _name, exception);
    }
}
