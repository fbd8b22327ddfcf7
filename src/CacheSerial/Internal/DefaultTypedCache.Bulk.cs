using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// Bulk operations: one store call for many keys (<see cref="ICacheStore.GetManyAsync"/>, <see cref="ICacheStore.SetManyAsync"/>)
/// under the same deadline and circuit breaker as single calls, each entry decoded and encoded exactly as a single call
/// does it, and a batch get-or-create whose keys take part in the same per-key flights as <c>GetOrCreateAsync</c>.
/// </summary>
internal sealed partial class DefaultTypedCache
{
    /// <summary>How many keys a Debug log line names for a bulk store call.</summary>
    private const int LoggedBatchKeys = 10;

    public ValueTask<IReadOnlyList<CacheResult<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var batch = BuildBatch(keys);
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        return GetManyCoreAsync<T>(batch, codec, policy, cancellationToken);
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
        return SetManyCoreAsync(keys, values, codec, policy, cancellationToken);
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
        var job = new BatchJob<TState, T>(state, batchFactory, _policies.Resolve(options), _codecs.For<T>());
        return GetOrCreateManyCoreAsync(batch, job, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<CacheResult<T>>> GetManyCoreAsync<T>(KeyBatch batch, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var observed = Observe(CacheOperation.GetMany, codec, batch.Positions.Length);
        var results = new CacheResult<T>[batch.Positions.Length];
        try
        {
            if (!policy.SkipRead && batch.Unique.Length > 0)
            {
                var reads = await ReadManyAsync<T>(batch.Unique, codec, policy, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < results.Length; i++)
                {
                    results[i] = reads[batch.Positions[i]].ToResult();
                }
            }
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
        return results;
    }

    private async ValueTask SetManyCoreAsync<T>(List<CacheKey> keys, List<T> values, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var observed = Observe(CacheOperation.SetMany, codec, keys.Count);
        try
        {
            if (!policy.SkipWrite && keys.Count > 0)
            {
                var encoded = new EncodedEntries(keys.Count);
                try
                {
                    for (var i = 0; i < keys.Count; i++)
                    {
                        encoded.Add(keys[i], Prepare(keys[i], values[i], codec, policy, null, out var storeOptions), storeOptions);
                    }
                }
                catch
                {
                    encoded.Dispose(); // a value the codec cannot write: nothing is written
                    throw;
                }

                await StoreWriteManyAsync(encoded, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
    }

    private async ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyCoreAsync<TState, T>(KeyBatch batch, BatchJob<TState, T> job, CancellationToken cancellationToken)
    {
        var (policy, codec) = (job.Policy, job.Codec);
        var observed = Observe(CacheOperation.GetOrCreateMany, codec, batch.Positions.Length);
        var unique = batch.Unique;
        var results = new Dictionary<string, T>(unique.Length, StringComparer.Ordinal);
        try
        {
            if (unique.Length > 0)
            {
                var generation = policy.SkipRead ? -1 : Volatile.Read(ref _writeGeneration);
                var reads = policy.SkipRead
                    ? new StoreRead<T>[unique.Length]
                    : await ReadManyAsync<T>(unique, codec, policy, cancellationToken).ConfigureAwait(false);

                List<BatchWait<T>>? waits = null;
                List<BatchMember<T>>? owned = null;
                List<CacheKey>? refreshDue = null;
                for (var i = 0; i < unique.Length; i++)
                {
                    var read = reads[i];
                    var key = unique[i];
                    if (read.State == ReadState.Fresh)
                    {
                        results[key.Key] = read.Value;
                        if (read.RefreshDue)
                        {
                            (refreshDue ??= []).Add(key);
                        }

                        continue;
                    }

                    var flightKey = new FlightKey(key.StoreKey, typeof(T));
                    if (read.State == ReadState.Stale && IsThrottled(flightKey))
                    {
                        Log.StaleServedThrottled(_logger, Name, key.Key);
                        results[key.Key] = read.Value;
                        continue;
                    }

                    var flight = JoinOrAdd<T>(flightKey, out var started);
                    if (started)
                    {
                        (owned ??= []).Add(new BatchMember<T>(key, flightKey, flight));
                    }

                    (waits ??= []).Add(new BatchWait<T>(key, flightKey, flight, read));
                }

                if (refreshDue is not null)
                {
                    StartEagerRefreshMany(refreshDue, job);
                }

                if (owned is not null)
                {
                    LaunchBatch(owned, job, generation, observed);
                }

                if (waits is not null)
                {
                    await WaitForFlightsAsync(waits, policy, results, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
        return results;
    }

    /// <summary>
    /// Waits for the flights of a batch caller's missing keys under the call's factory timeouts, and puts each outcome in
    /// <paramref name="results"/>: the value; nothing when the batch factory left the key out; the stale value when the
    /// run failed or timed out and fail-safe has one. Then throws the first failure (in key order) of a key without one.
    /// </summary>
    private async ValueTask WaitForFlightsAsync<T>(List<BatchWait<T>> waits, EntryPolicy policy, Dictionary<string, T> results, CancellationToken cancellationToken)
    {
        var settled = new bool[waits.Count];
        var started = _time.GetTimestamp();
        var softTimeout = waits.Exists(w => w.Previous.State == ReadState.Stale) ? policy.FactorySoftTimeout : null;
        if (softTimeout is { } soft && !await WaitAllAsync(waits, settled, soft, cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < waits.Count; i++)
            {
                var wait = waits[i];
                if (wait.Previous.State == ReadState.Stale && !wait.Flight.Task.IsCompleted)
                {
                    wait.Flight.Detach(); // this caller stops waiting; the run goes on and its result is stored
                    settled[i] = true;
                    if (wait.Flight.TryGetProduced(out var produced))
                    {
                        results[wait.Key.Key] = produced;
                        continue;
                    }

                    Log.FactorySoftTimeout(_logger, Name, wait.Key.Key, soft);
                    results[wait.Key.Key] = wait.Previous.Value;
                }
            }
        }

        var hardTimeout = policy.FactoryHardTimeout is { } hard ? Max(hard - _time.GetElapsedTime(started), TimeSpan.Zero) : (TimeSpan?)null;
        await WaitAllAsync(waits, settled, hardTimeout, cancellationToken).ConfigureAwait(false);

        Exception? failure = null;
        for (var i = 0; i < waits.Count; i++)
        {
            if (settled[i])
            {
                continue;
            }

            var wait = waits[i];
            var task = wait.Flight.Task;
            if (!task.IsCompleted)
            {
                // The hard timeout passed: as for a single key, the run goes on in the background and is stored.
                wait.Flight.Detach();
                if (wait.Flight.TryGetProduced(out var produced))
                {
                    results[wait.Key.Key] = produced;
                }
                else if (wait.Previous.State == ReadState.Stale)
                {
                    ActivateFailSafe(wait.FlightKey, wait.Key, policy, typeof(T), new TimeoutException($"The factory did not finish within {policy.FactoryHardTimeout}."));
                    results[wait.Key.Key] = wait.Previous.Value;
                }
                else if (failure is null)
                {
                    Log.FactoryHardTimeout(_logger, Name, typeof(T).Name, policy.FactoryHardTimeout!.Value);
                    failure = new CacheFactoryTimeoutException(
                        $"Cache '{Name}': the batch factory for a {typeof(T).Name} did not finish within {policy.FactoryHardTimeout} (FactoryHardTimeout); it goes on in the background and its results will be stored.")
                    {
                        Timeout = policy.FactoryHardTimeout!.Value,
                    };
                }

                continue;
            }

            if (task.IsCompletedSuccessfully)
            {
                results[wait.Key.Key] = task.Result;
                continue;
            }

            var error = task.Exception?.InnerException ?? new TaskCanceledException(task);
            if (error is FlightOmittedException)
            {
                continue; // the factory that ran this key returned nothing for it: absent from the result
            }

            if (wait.Previous.State == ReadState.Stale)
            {
                ActivateFailSafe(wait.FlightKey, wait.Key, policy, typeof(T), error);
                results[wait.Key.Key] = wait.Previous.Value;
                continue;
            }

            failure ??= error;
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Waits until every unsettled flight completed (true) or <paramref name="timeout"/> passed (false). On the caller's
    /// cancellation it leaves every flight it still waits for (cancelling a run it was the last waiter of) and throws.
    /// </summary>
    private async ValueTask<bool> WaitAllAsync<T>(List<BatchWait<T>> waits, bool[] settled, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var pending = new List<Task>(waits.Count);
        for (var i = 0; i < waits.Count; i++)
        {
            if (!settled[i] && !waits[i].Flight.Task.IsCompleted)
            {
                pending.Add(waits[i].Flight.Task);
            }
        }

        if (pending.Count == 0)
        {
            return true;
        }

        // The flights observe their own exceptions; this continuation observes the WhenAll task's, so nothing goes unobserved.
        var all = Task.WhenAll(pending).ContinueWith(
            static t => { _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var wait = timeout is { } t ? all.WaitAsync(t, _time, cancellationToken) : all.WaitAsync(cancellationToken);
        await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (all.IsCompleted)
        {
            return true;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < waits.Count; i++)
            {
                var w = waits[i];
                if (!settled[i] && !w.Flight.Task.IsCompleted && w.Flight.Leave())
                {
                    _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(w.FlightKey, w.Flight));
                    Log.FactoryAbandoned(_logger, Name, w.Key.Key);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    private void LaunchBatch<TState, T>(List<BatchMember<T>> owned, BatchJob<TState, T> job, long generation, ObservedOperation? leader)
    {
        if (job.Policy.FactorySoftTimeout is null && job.Policy.FactoryHardTimeout is null)
        {
            _ = RunBatchAsync(owned, job, generation, leader);
            return;
        }

        // With a timeout, a factory that blocks its thread before its first await must not hold the caller past it.
        _ = Task.Run(() => RunBatchAsync(owned, job, generation, leader));
    }

    /// <summary>Fresh hits past the eager-refresh threshold: one background batch run for those not already running.</summary>
    private void StartEagerRefreshMany<TState, T>(List<CacheKey> keys, BatchJob<TState, T> job)
    {
        List<BatchMember<T>>? owned = null;
        foreach (var key in keys)
        {
            var flightKey = new FlightKey(key.StoreKey, typeof(T));
            if (TryAddEagerRefresh<T>(flightKey, key) is { } flight)
            {
                (owned ??= []).Add(new BatchMember<T>(key, flightKey, flight));
            }
        }

        if (owned is not null)
        {
            _ = Task.Run(() => RunBatchAsync(owned, job, generation: -1, leader: null));
        }
    }

    /// <summary>
    /// One batch factory run for the flights it owns; never throws (every outcome completes every flight). As a single
    /// run: values are encoded and written (one store call) before the flights complete, keys whose callers all left are
    /// not written, and a run whose keys were read before another write landed re-reads them first.
    /// </summary>
    private async Task RunBatchAsync<TState, T>(List<BatchMember<T>> owned, BatchJob<TState, T> job, long generation, ObservedOperation? leader)
    {
        var (policy, codec) = (job.Policy, job.Codec);
        var tokens = new CancellationToken[owned.Count];
        for (var i = 0; i < owned.Count; i++)
        {
            tokens[i] = owned[i].Flight.FactoryToken;
        }

        var cancellation = new BatchCancellation(tokens);
        var members = owned;
        try
        {
            var token = cancellation.Token;
            if (generation >= 0 && generation != Volatile.Read(ref _writeGeneration))
            {
                var again = await ReadManyAsync<T>([.. owned.Select(m => m.Key)], codec, policy, token).ConfigureAwait(false);
                members = [];
                for (var i = 0; i < owned.Count; i++)
                {
                    if (again[i].State == ReadState.Fresh)
                    {
                        owned[i].Flight.SetResult(again[i].Value);
                    }
                    else
                    {
                        members.Add(owned[i]);
                    }
                }

                if (members.Count == 0)
                {
                    return;
                }
            }

            var keys = new string[members.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = members[i].Key.Key;
            }

            var context = policy.CreateContext(string.Empty, hasStaleValue: false, staleValue: null);
            _metrics.FactoryRun(Name);
            if (leader is not null)
            {
                leader.FactoryRan = true;
            }

            IReadOnlyDictionary<string, T> produced;
            try
            {
                produced = await job.Factory(job.State, keys, context, token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Cache '{Name}': the batch factory returned null instead of a dictionary.");
            }
            catch (Exception ex)
            {
                BatchFailed(members, typeof(T), ex);
                return;
            }

            if (context.FailureReason is { } reason)
            {
                BatchFailed(members, typeof(T), new CacheFactoryFailedException($"Cache '{Name}': the batch factory for a {typeof(T).Name} reported a failure: {reason}"));
                return;
            }

            var final = policy.With(context);
            var write = !context.DoNotCache && !final.SkipWrite;
            var done = new List<(BatchMember<T> Member, T Value)>(members.Count);
            var encoded = new EncodedEntries(members.Count);
            var omitted = 0;
            try
            {
                foreach (var member in members)
                {
                    if (!produced.TryGetValue(member.Key.Key, out var value))
                    {
                        // Out of the table first, so a single caller that runs its own factory does not join this flight again.
                        omitted++;
                        _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(member.FlightKey, member.Flight));
                        member.Flight.SetException(new FlightOmittedException());
                        continue;
                    }

                    member.Flight.SetProduced(value);

                    // A key every caller abandoned is not written: a newer run may have started and stored a fresher value.
                    if (write && !member.Flight.IsAbandoned)
                    {
                        try
                        {
                            encoded.Add(member.Key, Prepare(member.Key, value, codec, final, null, out var storeOptions), storeOptions);
                        }
                        catch (CacheSerializationException ex)
                        {
                            member.Flight.SetException(ex); // this key's callers get the codec's error; the others their values
                            continue;
                        }
                    }

                    done.Add((member, value));
                }
            }
            catch
            {
                encoded.Dispose();
                throw;
            }

            if (omitted > 0)
            {
                Log.BatchFactoryOmittedKeys(_logger, Name, omitted, members.Count);
            }

            if (encoded.Count > 0)
            {
                await StoreWriteManyAsync(encoded, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _writeGeneration);
                foreach (var (member, _) in done)
                {
                    ClearThrottle(member.FlightKey);
                }
            }
            else
            {
                encoded.Dispose();
            }

            foreach (var (member, value) in done)
            {
                if (member.Flight.HasBackgroundInterest)
                {
                    Log.BackgroundFactoryCompleted(_logger, Name, member.Key.Key);
                }

                member.Flight.SetResult(value);
            }
        }
        catch (Exception ex)
        {
            foreach (var member in owned)
            {
                member.Flight.SetException(ex); // completed flights keep their outcome
            }
        }
        finally
        {
            cancellation.Dispose();
            foreach (var member in owned)
            {
                _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(member.FlightKey, member.Flight));
                member.Flight.Dispose();
            }
        }
    }

    private void BatchFailed<T>(List<BatchMember<T>> members, Type valueType, Exception exception)
    {
        _metrics.FactoryFailure(Name, exception);
        Log.BatchFactoryFailed(_logger, Name, members.Count, exception);
        if (members.Exists(m => m.Flight.HasBackgroundInterest))
        {
            // Nobody may be left to see this exception: say so at warning level (without the keys).
            Log.BackgroundFactoryFailed(_logger, Name, valueType.Name, exception.GetType().Name);
        }

        foreach (var member in members)
        {
            member.Flight.SetException(exception);
        }
    }

    /// <summary>Reads and decodes distinct keys with one store call; a failed call, an open breaker or a timeout makes every key a miss.</summary>
    private async ValueTask<StoreRead<T>[]> ReadManyAsync<T>(CacheKey[] keys, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var reads = new StoreRead<T>[keys.Length];
        var bytes = await StoreReadManyAsync(keys, policy.SlidingExpiration, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < keys.Length; i++)
        {
            if (bytes?[i] is { } data)
            {
                reads[i] = Decode<T>(keys[i], codec, policy, data, null);
            }

            _metrics.Lookup(Name, codec.Name, reads[i].State, reads[i].IsNegative);
        }

        return reads;
    }

    /// <summary>One multi-key store read under the deadline and the breaker; null when it failed, timed out or was skipped.</summary>
    private async ValueTask<ReadOnlyMemory<byte>?[]?> StoreReadManyAsync(CacheKey[] keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken)
    {
        if (keys.Length == 0 || !_breaker.TryEnter())
        {
            return null;
        }

        var storeKeys = new string[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            storeKeys[i] = keys[i].StoreKey;
        }

        try
        {
            var read = _store.GetManyAsync(storeKeys, slidingExpiration, cancellationToken);
            var found = read.IsCompletedSuccessfully
                ? read.Result
                : ResultOf(await _deadline.WaitAsync(read, null, cancellationToken).ConfigureAwait(false), cancellationToken);
            if (found is null || found.Length != keys.Length)
            {
                throw new InvalidOperationException(
                    $"The store's GetManyAsync returned {found?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} results for {keys.Length} keys.");
            }

            _breaker.OnSuccess();
            return found;
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            OnStoreFailure(StoreOperation.Read, Describe(keys), ex);
            return null;
        }
        catch (OperationCanceledException)
        {
            _breaker.OnAbandoned();
            throw;
        }
    }

    /// <summary>
    /// Writes encoded entries with one multi-key store call and returns their buffers to the pool (at once, or when a
    /// call given up at the deadline ends). Takes ownership of <paramref name="encoded"/>.
    /// </summary>
    private async ValueTask StoreWriteManyAsync(EncodedEntries encoded, CancellationToken cancellationToken)
    {
        if (encoded.Count == 0)
        {
            encoded.Dispose();
            return;
        }

        if (!_breaker.TryEnter())
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var described = Describe(encoded.Keys);
                Log.StoreCallSkipped(_logger, Name, StoreOperation.Write, described);
            }

            for (var i = 0; i < encoded.Count; i++)
            {
                _metrics.WriteSkipped(Name, CacheTags.BreakerOpen);
            }

            encoded.Dispose();
            return;
        }

        IDisposable? buffers = encoded;
        try
        {
            var write = _store.SetManyAsync(encoded.ToStoreEntries(), cancellationToken);
            if (!write.IsCompletedSuccessfully)
            {
                var outcome = await _deadline.WaitAsync(write, encoded, cancellationToken).ConfigureAwait(false);
                if (outcome.Abandoned)
                {
                    buffers = null; // the race returns them to the pool once the store call ends
                }

                ResultOf(outcome, cancellationToken);
            }

            _breaker.OnSuccess();
        }
        catch (Exception ex) when (IsWrongType(ex))
        {
            // A key holds another client's value of another kind: the single-key write deletes it and retries once. The
            // store answered, so this call reports success first; each single write takes its own buffer.
            _breaker.OnSuccess();
            buffers = null;
            for (var i = 0; i < encoded.Count; i++)
            {
                await StoreWriteAsync(encoded.Keys[i], encoded.Buffers[i], encoded.Options[i], cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            OnStoreFailure(StoreOperation.Write, Describe(encoded.Keys), ex);
        }
        catch (OperationCanceledException)
        {
            _breaker.OnAbandoned();
            throw;
        }
        finally
        {
            buffers?.Dispose();
            Interlocked.Increment(ref _readGeneration);
        }
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

    private ObservedOperation? Observe(CacheOperation operation, CodecInfo codec, int batchSize)
    {
        if (!ObservedOperation.IsObserved(_metrics))
        {
            return null;
        }

        var observed = ObservedOperation.Start(_metrics, Name, codec.Name, operation);
        if (observed is not null)
        {
            observed.BatchSize = batchSize;
        }

        return observed;
    }

    /// <summary>A bulk call's keys for a Debug log line (the first few of them).</summary>
    private static string Describe(IReadOnlyList<CacheKey> keys)
    {
        var named = string.Join(", ", keys.Take(LoggedBatchKeys).Select(k => k.Key));
        return keys.Count <= LoggedBatchKeys ? $"{keys.Count} keys: {named}" : $"{keys.Count} keys: {named}, ...";
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A bulk call's keys: the distinct ones, and for each requested position the index of its distinct key.</summary>
    private readonly record struct KeyBatch(CacheKey[] Unique, int[] Positions);

    /// <summary>What a batch factory run needs besides its keys: the caller's state and factory, the call's policy and codec.</summary>
    private sealed class BatchJob<TState, T>(TState state, Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> factory, EntryPolicy policy, CodecInfo codec)
    {
        public TState State { get; } = state;

        public Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> Factory { get; } = factory;

        public EntryPolicy Policy { get; } = policy;

        public CodecInfo Codec { get; } = codec;
    }

    /// <summary>A key whose flight a batch run owns.</summary>
    private readonly record struct BatchMember<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight);

    /// <summary>A missing key a batch caller waits for, with what its read found (a stale value for fail-safe).</summary>
    private readonly record struct BatchWait<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight, StoreRead<T> Previous);

    /// <summary>Encoded entries of one bulk write, owning their pooled buffers until disposed.</summary>
    private sealed class EncodedEntries(int capacity) : IDisposable
    {
        public List<CacheKey> Keys { get; } = new(capacity);

        public List<PooledBufferWriter> Buffers { get; } = new(capacity);

        public List<CacheStoreEntryOptions> Options { get; } = new(capacity);

        public int Count => Keys.Count;

        /// <summary>Adds an entry; a null buffer (not to be stored: expired or too large, already logged) is skipped.</summary>
        public void Add(CacheKey key, PooledBufferWriter? buffer, CacheStoreEntryOptions options)
        {
            if (buffer is null)
            {
                return;
            }

            Keys.Add(key);
            Buffers.Add(buffer);
            Options.Add(options);
        }

        public CacheStoreEntry[] ToStoreEntries()
        {
            var entries = new CacheStoreEntry[Keys.Count];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new CacheStoreEntry(Keys[i].StoreKey, Buffers[i].WrittenMemory, Options[i]);
            }

            return entries;
        }

        public void Dispose()
        {
            foreach (var buffer in Buffers)
            {
                buffer.Dispose();
            }
        }
    }
}
