using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace CacheSerial.Internal;

/// <summary>
/// Every store call, under the cache's own deadline (<see cref="StoreCallDeadline"/>) and circuit breaker. A call that
/// misses the deadline is given up (the caller moves on) but keeps its buffer until the store lets go of it; failures
/// are logged and never thrown, except the caller's own cancellation.
/// </summary>
internal sealed partial class DefaultTypedCache
{
    /// <summary>Reads an entry's bytes; a miss, an open breaker, a failure and a timeout all return <see cref="StoredBytes.None"/>.</summary>
    /// <remarks>
    /// With <paramref name="share"/>, a read joins one of the same key already waiting on the store at the current write
    /// generation, and one waiting on the store is offered to later readers (<see cref="SharedRead"/>, in a fixed slot
    /// per key hash: a slot taken by another read means no sharing): it then runs without the caller's token (the deadline
    /// bounds it), so one caller's cancellation ends only its own wait. An uncontended read allocates nothing for this.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StoredBytes> StoreReadAsync(CacheKey key, TimeSpan? slidingExpiration, bool share, CancellationToken cancellationToken)
    {
        share &= _arrayStore is null;
        var generation = 0L;
        var slot = 0;
        if (share)
        {
            generation = Volatile.Read(ref _readGeneration);
            slot = key.StoreKey.GetHashCode() & (_sharedReads.Length - 1);
            var done = SharedRead.TryJoin(_sharedReads, slot, key.StoreKey, slidingExpiration, generation, out var joined);
            if (done is not null)
            {
                bool joinedFound;
                try
                {
                    joinedFound = await done.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    joined!.Release();
                    throw;
                }

                return joined!.Take(joinedFound);
            }
        }

        if (!_breaker.TryEnter())
        {
            return StoredBytes.None;
        }

        SharedRead? shared = null;
        var buffer = _arrayStore is null ? PooledBufferWriter.Rent() : null;
        try
        {
            if (buffer is not null)
            {
                var read = _store.TryGetAsync(key.StoreKey, slidingExpiration, buffer, share ? CancellationToken.None : cancellationToken);
                bool found;
                if (read.IsCompletedSuccessfully)
                {
                    found = read.Result;
                }
                else
                {
                    // A shared call is raced without the caller's token and reports to the breaker itself (EndSharedRead).
                    shared = share ? SharedRead.TryStart(this, _sharedReads, slot, key, slidingExpiration, generation, buffer) : null;
                    var race = _deadline.WaitAsync(read, buffer, shared is null ? cancellationToken : CancellationToken.None);
                    if (shared is not null)
                    {
                        buffer = null; // the shared read owns it now
                        var leaderWait = shared.Run(race, cancellationToken);
                        bool leaderFound;
                        try
                        {
                            leaderFound = await leaderWait.ConfigureAwait(false);
                        }
                        catch
                        {
                            shared.Release();
                            throw;
                        }

                        return shared.Take(leaderFound);
                    }

                    var outcome = await race.ConfigureAwait(false);
                    if (outcome.Abandoned)
                    {
                        buffer = null; // the race returns it to the pool once the store call ends
                    }

                    found = ResultOf(outcome, cancellationToken);
                }

                _breaker.OnSuccess();
                if (!found)
                {
                    return StoredBytes.None;
                }

                var bytes = new StoredBytes(buffer!);
                buffer = null; // the caller owns it now
                return bytes;
            }
            else
            {
                var get = await _deadline.WaitAsync(new ValueTask<byte[]?>(_arrayStore!.GetAsync(key.StoreKey, cancellationToken)), null, cancellationToken)
                    .ConfigureAwait(false);
                var array = ResultOf(get, cancellationToken);
                _breaker.OnSuccess();
                return array is null ? StoredBytes.None : new StoredBytes(array);
            }
        }
        catch (Exception ex) when (shared is null && !IsCallerCancellation(ex, cancellationToken))
        {
            OnStoreFailure(StoreOperation.Read, key, ex);
            return StoredBytes.None;
        }
        catch (OperationCanceledException) when (shared is null)
        {
            _breaker.OnAbandoned();
            throw;
        }
        finally
        {
            buffer?.Dispose();
        }
    }

    /// <summary>A shared store read ended: reports it to the breaker (or logs its failure) and says whether it found the entry.</summary>
    internal bool EndSharedRead(CacheKey key, StoreCallOutcome<bool> outcome)
    {
        try
        {
            var found = ResultOf(outcome, CancellationToken.None);
            _breaker.OnSuccess();
            return found;
        }
        catch (Exception ex)
        {
            OnStoreFailure(StoreOperation.Read, key, ex);
            return false;
        }
    }

    /// <summary>Writes an encoded entry and returns its buffer to the pool (at once, or when a timed-out call ends).</summary>
    private async ValueTask StoreWriteAsync(CacheKey key, PooledBufferWriter encoded, CacheStoreEntryOptions storeOptions, CancellationToken cancellationToken)
    {
        if (!_breaker.TryEnter())
        {
            Log.StoreCallSkipped(_logger, Name, StoreOperation.Write, key.Key);
            _metrics.WriteSkipped(Name, CacheTags.BreakerOpen);
            encoded.Dispose();
            return;
        }

        PooledBufferWriter? lease = encoded;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var write = _store.SetAsync(key.StoreKey, new ReadOnlySequence<byte>(encoded.WrittenMemory), storeOptions, cancellationToken);
                    if (!write.IsCompletedSuccessfully)
                    {
                        var outcome = await _deadline.WaitAsync(write, encoded, cancellationToken).ConfigureAwait(false);
                        if (outcome.Abandoned)
                        {
                            lease = null; // the race returns it to the pool once the store call ends
                        }

                        ResultOf(outcome, cancellationToken);
                    }

                    _breaker.OnSuccess();
                    return;
                }
                catch (Exception ex) when (attempt == 1 && IsWrongType(ex))
                {
                    // Another client stored a value of another kind under this key (Redis WRONGTYPE): ours replaces it.
                    // The store answered, so this call (perhaps the breaker's probe) reports success before the remove.
                    _breaker.OnSuccess();
                    Log.WrongTypeReplaced(_logger, Name);
                    if (!await StoreCallAsync(StoreOperation.Remove, key, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            OnStoreFailure(StoreOperation.Write, key, ex);
        }
        catch (OperationCanceledException)
        {
            _breaker.OnAbandoned();
            throw;
        }
        finally
        {
            lease?.Dispose();
            Interlocked.Increment(ref _readGeneration);
        }
    }

    /// <summary>A remove or a refresh; true when the store confirmed it.</summary>
    private async ValueTask<bool> StoreCallAsync(StoreOperation operation, CacheKey key, CancellationToken cancellationToken)
    {
        if (!_breaker.TryEnter())
        {
            Log.StoreCallSkipped(_logger, Name, operation, key.Key);
            return false;
        }

        try
        {
            var call = operation == StoreOperation.Remove
                ? _store.RemoveAsync(key.StoreKey, cancellationToken)
                : _store.RefreshAsync(key.StoreKey, _defaultSliding, cancellationToken);
            if (!call.IsCompletedSuccessfully)
            {
                ResultOf(await _deadline.WaitAsync(call, null, cancellationToken).ConfigureAwait(false), cancellationToken);
            }

            _breaker.OnSuccess();
            return true;
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            OnStoreFailure(operation, key, ex);
            return false;
        }
        catch (OperationCanceledException)
        {
            _breaker.OnAbandoned();
            throw;
        }
        finally
        {
            if (operation == StoreOperation.Remove)
            {
                Interlocked.Increment(ref _readGeneration);
            }
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
                throw new TimeoutException($"The store did not answer within {_storeTimeout.TotalMilliseconds} ms (CacheSerialOptions.DistributedCacheTimeout).");
            default:
                throw new OperationCanceledException(cancellationToken);
        }
    }

    private void OnStoreFailure(StoreOperation operation, CacheKey key, Exception exception) =>
        OnStoreFailure(operation, key.Key, exception);

    /// <summary>Counts, logs and reports a failed store call to the breaker; <paramref name="key"/> (the caller's key, or a
    /// description of a bulk call's keys) is logged at Debug only.</summary>
    private void OnStoreFailure(StoreOperation operation, string key, Exception exception)
    {
        _metrics.StoreError(Name, operation, exception);
        if (IsWrongType(exception))
        {
            // The key holds another client's value of another kind: a data problem, and proof the store answers (a
            // probing call must close the breaker, not leave it probing).
            Log.WrongTypeRead(_logger, Name);
            Log.StoreFailureDetail(_logger, Name, operation, key, exception);
            _breaker.OnSuccess();
            return;
        }

        Log.StoreFailed(_logger, Name, operation, key, exception);
        _breaker.OnFailure();
    }

    private static bool IsWrongType(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>An entry's bytes as read from the store: in a pooled buffer (returned on dispose) or an array.</summary>
internal readonly struct StoredBytes : IDisposable
{
    // A pooled buffer (disposed) or a shared read (one reference released).
    private readonly PooledBufferWriter? _lease;
    private readonly SharedRead? _shared;

    public StoredBytes(PooledBufferWriter lease)
    {
        _lease = lease;
        Data = lease.WrittenMemory;
        Found = true;
    }

    public StoredBytes(SharedRead shared)
    {
        _shared = shared;
        Data = shared.Data;
        Found = true;
    }

    public StoredBytes(byte[] array)
    {
        Data = array;
        Found = true;
    }

    public static StoredBytes None => default;

    public bool Found { get; }

    public ReadOnlyMemory<byte> Data { get; }

    public void Dispose()
    {
        _lease?.Dispose();
        _shared?.Release();
    }
}
