namespace CacheSerial.Internal;

/// <summary>
/// Stampede control across processes, for stores with an <see cref="ICacheStoreLock"/>. Each process already runs one
/// flight per key; before its factory call, a run tries once to take the store's lock of each of its keys. Keys it took
/// (or whose lock is unavailable) are produced at once; keys another process holds are waited for afterwards, re-reading
/// the store for that process's value, and produced by a second factory call when their lock comes free (after one more
/// read) or <see cref="ICacheStoreLock.WaitTimeout"/> passes. Producing what it holds before waiting is what keeps two
/// batches that took each other's keys from waiting on each other. Every lock call goes through the
/// distributed tier (deadline, circuit breaker); one that fails, times out or is skipped lets the factory run without the lock.
/// </summary>
internal sealed partial class CachePipeline
{
    // The first re-read comes soon, for a factory about to finish; the pause then doubles up to a ceiling, so a long
    // factory run costs each waiting process at most twenty reads and twenty lock attempts a second.
    internal static readonly TimeSpan LockPollFirst = TimeSpan.FromMilliseconds(5);
    internal static readonly TimeSpan LockPollMaximum = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Whether a flight goes through the lock: not for a caller that skips the read (it wants its own factory's value,
    /// not another process's) nor one that skips the write (nobody else would find its value).
    /// </summary>
    private bool UsesLock(EntryPolicy policy) => _tier.Lock is not null && !policy.SkipRead && !policy.SkipWrite;

    /// <summary>
    /// Tries once to take the lock before a run's factory call. <paramref name="previous"/> is what the leader read: a
    /// miss, a stale value, or (for an eager refresh) the fresh value, which a refresh that finds the lock held keeps
    /// instead of waiting. Not cancellable (the deadline bounds it).
    /// </summary>
    private async ValueTask<LockEntry<T>> TryEnterLockAsync<T>(FlightKey flightKey, CacheKey key, CodecInfo codec, EntryPolicy policy, EntryRead<T> previous)
    {
        var (answered, token) = await _tier.AcquireLockAsync(key).ConfigureAwait(false);
        if (!answered)
        {
            _metrics.LockOutcome(_name, CacheTags.LockUnavailable);
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
                Log.LockAcquired(_logger, _name, key.Key);
                _metrics.LockOutcome(_name, CacheTags.LockAcquired);
            }

            return entry;
        }

        if (previous.State == ReadState.Fresh)
        {
            // An eager refresh: the holder is refreshing this entry already, and the current value is still fresh.
            Log.EagerRefreshLockHeld(_logger, _name, key.Key);
            _metrics.LockOutcome(_name, CacheTags.LockRefreshSkipped);
            return LockEntry<T>.Complete(previous.Value);
        }

        return LockEntry<T>.HeldElsewhere;
    }

    /// <summary>
    /// Waits for a lock another process holds, re-reading the store for its value, and takes the lock when it comes
    /// free (after one more read) or runs without it once <see cref="ICacheStoreLock.WaitTimeout"/> passes. Throws only
    /// when <paramref name="cancellationToken"/> (the run's) is cancelled while waiting.
    /// </summary>
    private async ValueTask<LockEntry<T>> WaitForLockAsync<T>(FlightKey flightKey, CacheKey key, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var storeLock = _tier.Lock!;
        var started = _time.GetTimestamp();
        var pause = LockPollFirst;
        while (true)
        {
            var left = storeLock.WaitTimeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                Log.LockWaitTimedOut(_logger, _name, typeof(T).Name, storeLock.WaitTimeout);
                _metrics.LockOutcome(_name, CacheTags.LockWaitTimeout);
                return LockEntry<T>.Run(null);
            }

            await Task.Delay(pause < left ? pause : left, _time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < LockPollMaximum ? pause * 2 : LockPollMaximum;

            var read = await PollAsync<T>(key, codec, policy, cancellationToken).ConfigureAwait(false);
            if (read.State == ReadState.Fresh)
            {
                return ValueFromOtherProcess(flightKey, key, read.Value);
            }

            var (answered, token) = await _tier.AcquireLockAsync(key).ConfigureAwait(false);
            if (!answered)
            {
                _metrics.LockOutcome(_name, CacheTags.LockUnavailable);
                return LockEntry<T>.Run(null);
            }

            if (token is not null)
            {
                var entry = await RecheckAfterAcquireAsync<T>(flightKey, key, codec, policy, token).ConfigureAwait(false);
                if (!entry.Completed)
                {
                    Log.LockAcquired(_logger, _name, key.Key);
                    _metrics.LockOutcome(_name, CacheTags.LockAcquiredAfterWait);
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
        EntryRead<T> read;
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
        _produced.Bump(key);
        _throttles.Clear(flightKey);
        Log.LockWaitValueFound(_logger, _name, key.Key);
        _metrics.LockOutcome(_name, CacheTags.LockValueFromOther);
        return LockEntry<T>.Complete(value);
    }

    /// <summary>Releases a lock this process holds; failures are logged (5005), never thrown: the lock's lease frees it.</summary>
    private async ValueTask ReleaseLockAsync(CacheKey key, string token) =>
        await _tier.ReleaseLockAsync(key, token).ConfigureAwait(false);
}
