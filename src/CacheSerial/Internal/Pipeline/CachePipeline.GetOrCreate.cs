namespace CacheSerial.Internal;

internal sealed partial class CachePipeline
{
    /// <summary>Get-or-create of one key: memory, then the store, then the key's flight (one factory run). The key is
    /// the caller's: a memory hit never builds the stored key, and a key memory does not answer is checked first (KeyOf).</summary>
    public ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        // A fresh memory hit returns from this small frame; everything else is in ReadOrRun (a hit costs tens of ns).
        // Unobserved and uncounted, a shared value needs no entry copy and no judgement beyond its local lifetime. A
        // reference type's was already looked for by the facade (TryTakeSharedReference): value types only here.
        if (typeof(T).IsValueType && observed is null && _memory is { } memory && policy.TakesLocalHitAsIs && !_entries.CountsLookups
            && memory.TryGetShared(key, out T shared))
        {
            return new ValueTask<T>(shared);
        }

        var lookup = ReadLocal<T>(key, codec, policy, observed, out var local);
        return lookup == MemoryLookup.Hit && !local.RefreshDue
            ? new ValueTask<T>(local.Value)
            : ReadOrRun(key, state, factory, policy, codec, lookup, local, observed, cancellationToken);
    }

    /// <summary>
    /// The shortest hit of all, for the facade: a fresh shared value of a reference type, when the call is not observed,
    /// no lookup is counted and the policy takes a memory hit as it is. False sends the call down the whole path.
    /// </summary>
    public bool TryTakeSharedReference(string key, Type type, EntryPolicy policy, out object? value)
    {
        if (_memory is { } memory && policy.TakesLocalHitAsIs && !_entries.CountsLookups)
        {
            return memory.TryGetSharedReference(key, type, out value);
        }

        value = null;
        return false;
    }

    /// <summary>What memory did not answer: the store read and the flight, or an eager refresh of a memory hit.</summary>
    private ValueTask<T> ReadOrRun<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        MemoryLookup lookup,
        EntryRead<T> local,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        if (policy.SkipRead)
        {
            if (observed is not null)
            {
                observed.Outcome = "miss";
            }

            return JoinOrStartAsync(KeyOf(key), state, factory, policy, codec, previous: default, generation: -1, observed, cancellationToken);
        }

        if (lookup == MemoryLookup.Hit)
        {
            if (local.RefreshDue)
            {
                StartEagerRefresh([(KeyOf(key), local)], new SingleFactoryJob<TState, T>(state, factory, policy, codec));
            }

            return new ValueTask<T>(local.Value);
        }

        var k = KeyOf(key);
        var generation = _produced.Read(k);
        var read = ReadAsync<T>(k, codec, policy, observed, cancellationToken);
        return read.IsCompletedSuccessfully
            ? OnRead(read.Result, local, k, state, factory, policy, codec, generation, observed, cancellationToken)
            : AwaitReadAsync(read, local, k, state, factory, policy, codec, generation, observed, cancellationToken);
    }

    // Pooled (a ValueTask is awaited once): a hit that waits for the store allocates no state machine.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> AwaitReadAsync<TState, T>(
        ValueTask<EntryRead<T>> read,
        EntryRead<T> fallback,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        long generation,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        var result = await read.ConfigureAwait(false);
        return await OnRead(result, fallback, key, state, factory, policy, codec, generation, observed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A fresh value is returned (starting an eager refresh when due); anything else joins or starts the flight,
    /// with the store's stale value or, failing that, memory's fallback for fail-safe.</summary>
    private ValueTask<T> OnRead<TState, T>(
        EntryRead<T> read,
        EntryRead<T> fallback,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        long generation,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        if (read.State != ReadState.Fresh)
        {
            return JoinOrStartAsync(key, state, factory, policy, codec, OrFallback(read, fallback), generation, observed, cancellationToken);
        }

        if (read.RefreshDue)
        {
            StartEagerRefresh([(key, read)], new SingleFactoryJob<TState, T>(state, factory, policy, codec));
        }

        return new ValueTask<T>(read.Value);
    }

    /// <summary>
    /// Joins the key's running flight or starts one, and waits for it under the call's timeouts. With a stale value
    /// (fail-safe), a failing, timed-out or throttled factory yields the stale value instead of an error.
    /// </summary>
    private async ValueTask<T> JoinOrStartAsync<TState, T>(
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        EntryRead<T> previous,
        long generation,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        var flightKey = new FlightKey(key.StoreKey, typeof(T));
        if (IsThrottled(flightKey, key, previous))
        {
            return previous.Value;
        }

        var flight = JoinOrAdd<T>(flightKey, out var started);
        var member = new FactoryMember<T>(key, flightKey, flight, previous, generation);
        if (started)
        {
            Launch([member], new SingleFactoryJob<TState, T>(state, factory, policy, codec), observed);
        }

        var softTimeout = previous.State == ReadState.Stale ? policy.FactorySoftTimeout : null;
        var timeout = softTimeout ?? policy.FactoryHardTimeout;
        var task = flight.Task;
        try
        {
            return timeout is { } t
                ? await task.WaitAsync(t, _time, cancellationToken).ConfigureAwait(false)
                : await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            return TimedOut(member, policy, softTimeout, out var value) ? value : throw HardTimeout<T>(policy);
        }
        catch (FlightOmittedException)
        {
            // A batch run (GetOrCreateManyAsync) owned this key and its factory returned no value for it: run our own.
            return await JoinOrStartAsync(key, state, factory, policy, codec, previous, generation: -1, observed, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !task.IsCompleted)
        {
            Leave(member);
            throw;
        }
        catch (Exception ex) when (previous.State == ReadState.Stale && !IsCallerCancellation(ex, cancellationToken))
        {
            return FailOver(member, policy, ex);
        }
    }

    /// <summary>Joins the key's running flight, or adds a new one that the caller must launch (<paramref name="started"/>).</summary>
    private Flight<T> JoinOrAdd<T>(FlightKey flightKey, out bool started)
    {
        while (true)
        {
            started = true;
            if (_flights.TryGetValue(flightKey, out var existing))
            {
                var running = (Flight<T>)existing;
                if (running.TryJoin())
                {
                    started = false;
                    return running;
                }

                // Abandoned by all its callers: replace it.
                var replacement = new Flight<T>(background: false);
                if (_flights.TryUpdate(flightKey, replacement, existing))
                {
                    return replacement;
                }

                replacement.Dispose();
            }
            else
            {
                var fresh = new Flight<T>(background: false);
                if (_flights.TryAdd(flightKey, fresh))
                {
                    return fresh;
                }

                fresh.Dispose();
            }
        }
    }
}
