namespace CacheSerial.Internal;

internal sealed partial class CachePipeline
{
    // Bumped after each flight's store write lands. A caller whose miss was read before a bump re-reads once when it
    // becomes the leader, so a flight finishing between its read and its join does not cause a second factory run.
    private long _writeGeneration;

    public ValueTask<T> GetOrCreateAsync<TState, T>(
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        ObservedOperation? observed,
        CancellationToken cancellationToken)
    {
        if (policy.SkipRead)
        {
            if (observed is not null)
            {
                observed.Outcome = "miss";
            }

            return JoinOrStartAsync(key, state, factory, policy, codec, previous: default, generation: -1, observed, cancellationToken);
        }

        var generation = Volatile.Read(ref _writeGeneration);
        var read = ReadAsync<T>(key, codec, policy, observed, cancellationToken);
        return read.IsCompletedSuccessfully
            ? OnRead(read.Result, key, state, factory, policy, codec, generation, observed, cancellationToken)
            : AwaitReadAsync(read, key, state, factory, policy, codec, generation, observed, cancellationToken);
    }

    // Pooled (a ValueTask is awaited once): a hit that waits for the store allocates no state machine.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> AwaitReadAsync<TState, T>(
        ValueTask<EntryRead<T>> read,
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
        return await OnRead(result, key, state, factory, policy, codec, generation, observed, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<T> OnRead<TState, T>(
        EntryRead<T> read,
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
            return JoinOrStartAsync(key, state, factory, policy, codec, read, generation, observed, cancellationToken);
        }

        if (read.RefreshDue)
        {
            StartEagerRefresh(key, state, factory, policy, codec, read);
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
        var hasStale = previous.State == ReadState.Stale;
        if (hasStale && _throttles.IsThrottled(flightKey))
        {
            Log.StaleServedThrottled(_logger, _name, key.Key);
            return previous.Value;
        }

        var flight = JoinOrStart(flightKey, key, state, factory, policy, codec, previous, generation, observed);
        var softTimeout = hasStale ? policy.FactorySoftTimeout : null;
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
            flight.Detach(); // this caller stops waiting; the factory goes on and its result is stored
            if (flight.TryGetProduced(out var produced))
            {
                return produced; // the factory was in time; only the store write is still running
            }

            if (softTimeout is not null)
            {
                Log.FactorySoftTimeout(_logger, _name, key.Key, softTimeout.Value);
                return previous.Value;
            }

            if (hasStale)
            {
                ActivateFailSafe(flightKey, key, policy, typeof(T), new TimeoutException($"The factory did not finish within {timeout}."));
                return previous.Value;
            }

            Log.FactoryHardTimeout(_logger, _name, typeof(T).Name, timeout!.Value);
            throw new CacheFactoryTimeoutException(
                $"Cache '{_name}': the factory for a {typeof(T).Name} did not finish within {timeout} (FactoryHardTimeout); it goes on in the background and its result will be stored.")
            {
                Timeout = timeout.Value,
            };
        }
        catch (FlightOmittedException)
        {
            // A batch run (GetOrCreateManyAsync) owned this key and its factory returned no value for it: run our own.
            return await JoinOrStartAsync(key, state, factory, policy, codec, previous, generation: -1, observed, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !task.IsCompleted)
        {
            if (flight.Leave())
            {
                _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(flightKey, flight));
                Log.FactoryAbandoned(_logger, _name, key.Key);
            }

            throw;
        }
        catch (Exception ex) when (hasStale && !IsCallerCancellation(ex, cancellationToken))
        {
            ActivateFailSafe(flightKey, key, policy, typeof(T), ex);
            return previous.Value;
        }
    }

    private Flight<T> JoinOrStart<TState, T>(
        FlightKey flightKey,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        EntryRead<T> previous,
        long generation,
        ObservedOperation? observed)
    {
        var flight = JoinOrAdd<T>(flightKey, out var started);
        if (started)
        {
            Launch(flight, flightKey, key, state, factory, policy, codec, previous, generation, observed);
        }

        return flight;
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

    /// <summary>A hit past the eager-refresh threshold: one background run per key, the caller does not wait.</summary>
    private void StartEagerRefresh<TState, T>(
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        EntryRead<T> current)
    {
        var flightKey = new FlightKey(key.StoreKey, typeof(T));
        if (TryAddEagerRefresh<T>(flightKey, key) is { } flight)
        {
            _ = Task.Run(() => RunFlightAsync(flight, flightKey, key, state, factory, policy, codec, current, generation: -1, leader: null));
        }
    }

    /// <summary>Adds the background flight of an eager refresh; null when a run for the key is already going on.</summary>
    private Flight<T>? TryAddEagerRefresh<T>(FlightKey flightKey, CacheKey key)
    {
        if (_flights.ContainsKey(flightKey))
        {
            return null;
        }

        var flight = new Flight<T>(background: true);
        if (!_flights.TryAdd(flightKey, flight))
        {
            flight.Dispose();
            return null;
        }

        Log.EagerRefreshStarted(_logger, _name, key.Key);
        return flight;
    }

    private void Launch<TState, T>(
        Flight<T> flight,
        FlightKey flightKey,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        EntryRead<T> previous,
        long generation,
        ObservedOperation? leader)
    {
        if (policy.FactorySoftTimeout is null && policy.FactoryHardTimeout is null)
        {
            // The leader runs the factory inline: no thread hop on the common path.
            _ = RunFlightAsync(flight, flightKey, key, state, factory, policy, codec, previous, generation, leader);
            return;
        }

        // With a timeout, a factory that blocks its thread before its first await must not hold the caller past it.
        _ = Task.Run(() => RunFlightAsync(flight, flightKey, key, state, factory, policy, codec, previous, generation, leader));
    }

    /// <summary>The factory run; never throws (every outcome completes the flight). Not awaited by any caller.</summary>
    private async Task RunFlightAsync<TState, T>(
        Flight<T> flight,
        FlightKey flightKey,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        EntryRead<T> previous,
        long generation,
        ObservedOperation? leader)
    {
        string? lockToken = null;
        try
        {
            var token = flight.FactoryToken;
            if (generation >= 0 && generation != Volatile.Read(ref _writeGeneration))
            {
                // Not shared: a read already in flight may predate the value this re-read looks for.
                var again = await ReadAsync<T>(key, codec, policy, null, token, share: false).ConfigureAwait(false);
                if (again.State == ReadState.Fresh)
                {
                    flight.SetResult(again.Value);
                    return;
                }
            }

            if (UsesLock(policy))
            {
                // One factory run across processes (DefaultTypedCache.DistributedLock.cs).
                var entry = await EnterLockAsync(flightKey, key, codec, policy, previous, token).ConfigureAwait(false);
                if (entry.Completed)
                {
                    flight.SetResult(entry.Value);
                    return;
                }

                lockToken = entry.Token;
            }

            var hasPrevious = previous.State != ReadState.Miss;
            var context = policy.CreateContext(key.Key, hasPrevious, hasPrevious ? (object?)previous.Value : null);
            _metrics.FactoryRun(_name);
            if (leader is not null)
            {
                leader.FactoryRan = true;
            }

            T value;
            try
            {
                value = await factory(state, context, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                FactoryFailed(flight, key, typeof(T), ex);
                return;
            }

            if (context.FailureReason is { } reason)
            {
                FactoryFailed(flight, key, typeof(T), new CacheFactoryFailedException($"Cache '{_name}': the factory for a {typeof(T).Name} reported a failure: {reason}"));
                return;
            }

            flight.SetProduced(value);
            var final = policy.With(context);

            // A run every caller abandoned is not written: a newer run may have started and stored a fresher value.
            if (context.DoNotCache || final.SkipWrite || flight.IsAbandoned)
            {
                flight.SetResult(value);
                return;
            }

            // Encode before releasing the callers, so a value the codec cannot write reaches them as an error; and
            // write before releasing them, so a caller's next read sees the entry (the write logs failures, never throws).
            var encoded = _entries.Encode(key, value, codec, final, null, out var storeOptions);
            if (encoded is not null)
            {
                await WrittenAsync(_tier.WriteAsync(key, encoded, storeOptions, CancellationToken.None)).ConfigureAwait(false);
                Interlocked.Increment(ref _writeGeneration);
                _throttles.Clear(flightKey);
            }

            if (flight.HasBackgroundInterest)
            {
                Log.BackgroundFactoryCompleted(_logger, _name, key.Key);
            }

            flight.SetResult(value);
        }
        catch (Exception ex)
        {
            flight.SetException(ex);
        }
        finally
        {
            if (lockToken is not null)
            {
                // After the write and after the callers were released, on every path (failure, cancellation, a run
                // its callers left to the background): other processes re-reading then find the value.
                await ReleaseLockAsync(key, lockToken).ConfigureAwait(false);
            }

            _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(flightKey, flight));
            flight.Dispose();
        }
    }

    private void FactoryFailed<T>(Flight<T> flight, CacheKey key, Type valueType, Exception exception)
    {
        _metrics.FactoryFailure(_name, exception);
        Log.FactoryFailed(_logger, _name, key.Key, exception);
        if (flight.HasBackgroundInterest)
        {
            // Nobody may be left to see this exception: say so at warning level (without the key).
            Log.BackgroundFactoryFailed(_logger, _name, valueType.Name, exception.GetType().Name);
        }

        flight.SetException(exception);
    }

    private void ActivateFailSafe(FlightKey flightKey, CacheKey key, EntryPolicy policy, Type valueType, Exception exception)
    {
        _throttles.Start(flightKey, policy.FailSafeThrottleDuration);
        Log.FailSafeActivated(_logger, _name, valueType.Name, exception.GetType().Name, policy.FailSafeThrottleDuration);
        Log.FailSafeActivatedKey(_logger, _name, key.Key, exception);
    }
}
