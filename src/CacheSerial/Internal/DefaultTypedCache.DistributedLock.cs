namespace CacheSerial.Internal;

/// <summary>How a flight leader got past the store's distributed lock: with a value (no factory run here), or to run the factory.</summary>
internal readonly struct LockEntry<T>
{
    private LockEntry(bool completed, T value, string? token)
    {
        Completed = completed;
        Value = value;
        Token = token;
    }

    /// <summary>The flight ends with <see cref="Value"/> and runs no factory.</summary>
    public bool Completed { get; }

    public T Value { get; }

    /// <summary>The lock this process holds while it runs the factory, released after the write; null when it runs without it.</summary>
    public string? Token { get; }

    public static LockEntry<T> Run(string? token) => new(completed: false, default!, token);

    public static LockEntry<T> Complete(T value) => new(completed: true, value, token: null);
}

/// <summary>
/// Stampede control across processes, for stores with an <see cref="ICacheStoreLock"/>. Each process already runs one
/// flight per key; before its factory run, the flight's leader takes the store's lock for the key. A leader that finds
/// the lock held waits, re-reading the store, for another process's value, and runs the factory itself when the lock
/// comes free (after one more read) or <see cref="ICacheStoreLock.WaitTimeout"/> passes. Every lock call runs under the
/// store deadline and circuit breaker; one that fails, times out or is skipped lets the factory run without the lock.
/// </summary>
internal sealed partial class DefaultTypedCache
{
    // The first re-read comes soon, for a factory about to finish; the pause then doubles up to a ceiling, so a long
    // factory run costs each waiting process at most twenty reads and twenty lock attempts a second.
    internal static readonly TimeSpan LockPollFirst = TimeSpan.FromMilliseconds(5);
    internal static readonly TimeSpan LockPollMaximum = TimeSpan.FromMilliseconds(50);

    private readonly ICacheStoreLock? _lock;

    /// <summary>
    /// Whether a flight goes through the lock: not for a caller that skips the read (it wants its own factory's value,
    /// not another process's) nor one that skips the write (nobody else would find its value).
    /// </summary>
    private bool UsesLock(EntryPolicy policy) => _lock is not null && !policy.SkipRead && !policy.SkipWrite;

    /// <summary>
    /// Takes the lock or waits for it, before a flight's factory run. <paramref name="previous"/> is what the leader
    /// read: a miss, a stale value, or (for an eager refresh) the fresh value, which a refresh that finds the lock held
    /// keeps instead of waiting. Throws only when <paramref name="cancellationToken"/> (the flight's) is cancelled while waiting.
    /// </summary>
    private async ValueTask<LockEntry<T>> EnterLockAsync<T>(
        FlightKey flightKey, CacheKey key, CodecInfo codec, EntryPolicy policy, StoreRead<T> previous, CancellationToken cancellationToken)
    {
        var storeLock = _lock!;
        var (answered, token) = await LockCallAsync(StoreOperation.LockAcquire, key, token: null).ConfigureAwait(false);
        if (!answered)
        {
            _metrics.LockOutcome(Name, CacheTags.LockUnavailable);
            return LockEntry<T>.Run(null);
        }

        if (token is not null)
        {
            // An eager refresh replaces the fresh value it read; any other run first checks no holder finished meanwhile.
            var entry = previous.State == ReadState.Fresh
                ? LockEntry<T>.Run(token)
                : await RecheckAfterAcquireAsync<T>(flightKey, key, codec, policy, token).ConfigureAwait(false);
            if (!entry.Completed)
            {
                Log.LockAcquired(_logger, Name, key.Key);
                _metrics.LockOutcome(Name, CacheTags.LockAcquired);
            }

            return entry;
        }

        if (previous.State == ReadState.Fresh)
        {
            // An eager refresh: the holder is refreshing this entry already, and the current value is still fresh.
            Log.EagerRefreshLockHeld(_logger, Name, key.Key);
            _metrics.LockOutcome(Name, CacheTags.LockRefreshSkipped);
            return LockEntry<T>.Complete(previous.Value);
        }

        var started = _time.GetTimestamp();
        var pause = LockPollFirst;
        while (true)
        {
            var left = storeLock.WaitTimeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                Log.LockWaitTimedOut(_logger, Name, typeof(T).Name, storeLock.WaitTimeout);
                _metrics.LockOutcome(Name, CacheTags.LockWaitTimeout);
                return LockEntry<T>.Run(null);
            }

            await Task.Delay(pause < left ? pause : left, _time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < LockPollMaximum ? pause * 2 : LockPollMaximum;

            var read = await PollAsync<T>(key, codec, policy, cancellationToken).ConfigureAwait(false);
            if (read.State == ReadState.Fresh)
            {
                return ValueFromOtherProcess(flightKey, key, read.Value);
            }

            (answered, token) = await LockCallAsync(StoreOperation.LockAcquire, key, token: null).ConfigureAwait(false);
            if (!answered)
            {
                _metrics.LockOutcome(Name, CacheTags.LockUnavailable);
                return LockEntry<T>.Run(null);
            }

            if (token is not null)
            {
                var entry = await RecheckAfterAcquireAsync<T>(flightKey, key, codec, policy, token).ConfigureAwait(false);
                if (!entry.Completed)
                {
                    Log.LockAcquired(_logger, Name, key.Key);
                    _metrics.LockOutcome(Name, CacheTags.LockAcquiredAfterWait);
                }

                return entry;
            }
        }
    }

    /// <summary>
    /// Just after taking the lock: a holder may have written and released between this process's last read and its
    /// acquire, so the store is read once more (one round trip per cold miss buys one factory run across processes).
    /// Not cancellable: the lock is held now, and must reach the release here or the factory run's.
    /// </summary>
    private async ValueTask<LockEntry<T>> RecheckAfterAcquireAsync<T>(FlightKey flightKey, CacheKey key, CodecInfo codec, EntryPolicy policy, string token)
    {
        StoreRead<T> read;
        try
        {
            read = await PollAsync<T>(key, codec, policy, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseLockAsync(key, token).ConfigureAwait(false); // a rejected entry under OnDeserializationFailure = Throw
            throw;
        }

        if (read.State == ReadState.Fresh)
        {
            await ReleaseLockAsync(key, token).ConfigureAwait(false);
            return ValueFromOtherProcess(flightKey, key, read.Value);
        }

        return LockEntry<T>.Run(token);
    }

    private LockEntry<T> ValueFromOtherProcess<T>(FlightKey flightKey, CacheKey key, T value)
    {
        // As after a write of this process: a caller whose miss was read before this value landed re-reads once.
        Interlocked.Increment(ref _writeGeneration);
        ClearThrottle(flightKey);
        Log.LockWaitValueFound(_logger, Name, key.Key);
        _metrics.LockOutcome(Name, CacheTags.LockValueFromOther);
        return LockEntry<T>.Complete(value);
    }

    /// <summary>Releases a lock this process holds; failures are logged (5005), never thrown: the lock's lease frees it.</summary>
    private async ValueTask ReleaseLockAsync(CacheKey key, string token) =>
        await LockCallAsync(StoreOperation.LockRelease, key, token).ConfigureAwait(false);

    /// <summary>
    /// A read while waiting for the lock: decoded like any read, but not counted as a lookup (the caller's own read
    /// was), so the hit and miss counters do not grow with the length of another process's factory run.
    /// </summary>
    private async ValueTask<StoreRead<T>> PollAsync<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        // Not shared: a poll must see what another process wrote after it started waiting.
        using var bytes = await StoreReadAsync(key, policy.SlidingExpiration, share: false, cancellationToken).ConfigureAwait(false);
        return bytes.Found ? Decode<T>(key, codec, policy, bytes.Data, null) : default;
    }

    /// <summary>
    /// One lock call (acquire, or release of <paramref name="token"/>) under the store deadline and circuit breaker.
    /// Not cancellable: a flight whose callers all left must still release what it took, and a deadline bounds the call.
    /// Answered is false when the breaker skipped the call or it failed or timed out (logged 5004/5005 and counted).
    /// </summary>
    private async ValueTask<(bool Answered, string? Token)> LockCallAsync(StoreOperation operation, CacheKey key, string? token)
    {
        if (!_breaker.TryEnter())
        {
            Log.StoreCallSkipped(_logger, Name, operation, key.Key);
            return (false, null);
        }

        try
        {
            string? taken = null;
            if (operation == StoreOperation.LockAcquire)
            {
                var acquire = _lock!.TryAcquireAsync(key.StoreKey, CancellationToken.None);
                taken = acquire.IsCompletedSuccessfully
                    ? acquire.Result
                    : ResultOf(await _deadline.WaitAsync(acquire, null, CancellationToken.None).ConfigureAwait(false), CancellationToken.None);
            }
            else
            {
                var release = _lock!.ReleaseAsync(key.StoreKey, token!, CancellationToken.None);
                if (release.IsCompletedSuccessfully)
                {
                    release.GetAwaiter().GetResult();
                }
                else
                {
                    ResultOf(await _deadline.WaitAsync(release, null, CancellationToken.None).ConfigureAwait(false), CancellationToken.None);
                }
            }

            _breaker.OnSuccess();
            return (true, taken);
        }
        catch (Exception ex)
        {
            OnStoreFailure(operation, key, ex);
            return (false, null);
        }
    }
}
