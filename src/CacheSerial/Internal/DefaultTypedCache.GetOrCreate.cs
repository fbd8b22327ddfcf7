namespace CacheSerial.Internal;

internal sealed partial class DefaultTypedCache
{
    // Bumped after each flight's store write lands. A caller whose miss was read before a bump re-reads once when it
    // becomes the leader, so a flight finishing between its read and its join does not cause a second factory run.
    private long _writeGeneration;

    public ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        CacheEntryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        ArgumentNullException.ThrowIfNull(factory);
        var policy = EntryPolicy.Resolve(options, _defaults);
        var codec = _codecs.For<T>();
        if (policy.SkipRead)
        {
            return JoinOrStartAsync(k, state, factory, policy, codec, generation: -1, cancellationToken);
        }

        var generation = Volatile.Read(ref _writeGeneration);
        var read = ReadAsync<T>(k, codec, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            return result.HasValue
                ? new ValueTask<T>(result.Value!)
                : JoinOrStartAsync(k, state, factory, policy, codec, generation, cancellationToken);
        }

        return AwaitReadAsync(read, k, state, factory, policy, codec, generation, cancellationToken);
    }

    private async ValueTask<T> AwaitReadAsync<TState, T>(
        ValueTask<CacheResult<T>> read,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        long generation,
        CancellationToken cancellationToken)
    {
        var result = await read.ConfigureAwait(false);
        return result.HasValue
            ? result.Value!
            : await JoinOrStartAsync(key, state, factory, policy, codec, generation, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> JoinOrStartAsync<TState, T>(
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        long generation,
        CancellationToken cancellationToken)
    {
        var flightKey = new FlightKey(key.StoreKey, typeof(T));
        Flight<T> flight;
        while (true)
        {
            if (_flights.TryGetValue(flightKey, out var existing))
            {
                var running = (Flight<T>)existing;
                if (running.TryJoin())
                {
                    flight = running;
                    break;
                }

                // Abandoned by all its callers: replace it.
                var replacement = new Flight<T>();
                if (_flights.TryUpdate(flightKey, replacement, existing))
                {
                    flight = replacement;
                    _ = RunFlightAsync(flight, flightKey, key, state, factory, policy, codec, generation);
                    break;
                }
            }
            else
            {
                var fresh = new Flight<T>();
                if (_flights.TryAdd(flightKey, fresh))
                {
                    flight = fresh;
                    _ = RunFlightAsync(flight, flightKey, key, state, factory, policy, codec, generation);
                    break;
                }
            }
        }

        try
        {
            return await flight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !flight.Task.IsCompleted)
        {
            if (flight.Leave())
            {
                _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(flightKey, flight));
                Log.FactoryAbandoned(_logger, Name, key.Key);
            }

            throw;
        }
    }

    /// <summary>The leader's work; never throws (every outcome completes the flight). Not awaited by any caller.</summary>
    private async Task RunFlightAsync<TState, T>(
        Flight<T> flight,
        FlightKey flightKey,
        CacheKey key,
        TState state,
        Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory,
        EntryPolicy policy,
        CodecInfo codec,
        long generation)
    {
        try
        {
            var token = flight.FactoryToken;
            if (generation >= 0 && generation != Volatile.Read(ref _writeGeneration))
            {
                var again = await ReadAsync<T>(key, codec, token).ConfigureAwait(false);
                if (again.HasValue)
                {
                    flight.SetResult(again.Value!);
                    return;
                }
            }

            var context = policy.CreateContext(key.Key);
            T value;
            try
            {
                value = await factory(state, context, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.FactoryFailed(_logger, Name, key.Key, ex);
                flight.SetException(ex);
                return;
            }

            policy = policy.With(context);

            // A run every caller abandoned is not written: a newer run may have started and stored a fresher value.
            if (context.DoNotCache || policy.SkipWrite || flight.IsAbandoned)
            {
                flight.SetResult(value);
                return;
            }

            // Encode before releasing the callers, so a value the codec cannot write reaches them as an error; and
            // write before releasing them, so a caller's next read sees the entry (WriteAsync logs failures, never throws).
            var encoded = Prepare(key, value, codec, policy, out var storeOptions);
            if (encoded is not null)
            {
                await WriteAsync(key, encoded, storeOptions!, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _writeGeneration);
            }

            flight.SetResult(value);
        }
        catch (Exception ex)
        {
            flight.SetException(ex);
        }
        finally
        {
            _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(flightKey, flight));
            flight.Dispose();
        }
    }
}
