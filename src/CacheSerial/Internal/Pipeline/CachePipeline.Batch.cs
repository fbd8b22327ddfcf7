using System.Runtime.ExceptionServices;

namespace CacheSerial.Internal;

/// <summary>
/// Bulk get-or-create: one store read for the keys, and one batch factory run for the missing keys this call owns; the
/// keys take part in the same per-key flights as <c>GetOrCreateAsync</c>, so a single caller and a batch caller of one
/// key share one run.
/// </summary>
internal sealed partial class CachePipeline
{
    public async ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<TState, T>(CacheKey[] unique, BatchJob<TState, T> job, ObservedOperation? observed, CancellationToken cancellationToken)
    {
        var (policy, codec) = (job.Policy, job.Codec);
        var results = new Dictionary<string, T>(unique.Length, StringComparer.Ordinal);
        if (unique.Length > 0)
        {
            var generation = policy.SkipRead ? -1 : Volatile.Read(ref _writeGeneration);
            var reads = policy.SkipRead
                ? new EntryRead<T>[unique.Length]
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
                if (read.State == ReadState.Stale && _throttles.IsThrottled(flightKey))
                {
                    Log.StaleServedThrottled(_logger, _name, key.Key);
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

                    Log.FactorySoftTimeout(_logger, _name, wait.Key.Key, soft);
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
                    Log.FactoryHardTimeout(_logger, _name, typeof(T).Name, policy.FactoryHardTimeout!.Value);
                    failure = new CacheFactoryTimeoutException(
                        $"Cache '{_name}': the batch factory for a {typeof(T).Name} did not finish within {policy.FactoryHardTimeout} (FactoryHardTimeout); it goes on in the background and its results will be stored.")
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
                    Log.FactoryAbandoned(_logger, _name, w.Key.Key);
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
            _metrics.FactoryRun(_name);
            if (leader is not null)
            {
                leader.FactoryRan = true;
            }

            IReadOnlyDictionary<string, T> produced;
            try
            {
                produced = await job.Factory(job.State, keys, context, token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Cache '{_name}': the batch factory returned null instead of a dictionary.");
            }
            catch (Exception ex)
            {
                BatchFailed(members, typeof(T), ex);
                return;
            }

            if (context.FailureReason is { } reason)
            {
                BatchFailed(members, typeof(T), new CacheFactoryFailedException($"Cache '{_name}': the batch factory for a {typeof(T).Name} reported a failure: {reason}"));
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
                            encoded.Add(member.Key, _entries.Encode(member.Key, value, codec, final, null, out var storeOptions), storeOptions);
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
                Log.BatchFactoryOmittedKeys(_logger, _name, omitted, members.Count);
            }

            if (encoded.Count > 0)
            {
                await WrittenAsync(_tier.WriteManyAsync(encoded, CancellationToken.None)).ConfigureAwait(false);
                Interlocked.Increment(ref _writeGeneration);
                foreach (var (member, _) in done)
                {
                    _throttles.Clear(member.FlightKey);
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
                    Log.BackgroundFactoryCompleted(_logger, _name, member.Key.Key);
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
        _metrics.FactoryFailure(_name, exception);
        Log.BatchFactoryFailed(_logger, _name, members.Count, exception);
        if (members.Exists(m => m.Flight.HasBackgroundInterest))
        {
            // Nobody may be left to see this exception: say so at warning level (without the keys).
            Log.BackgroundFactoryFailed(_logger, _name, valueType.Name, exception.GetType().Name);
        }

        foreach (var member in members)
        {
            member.Flight.SetException(exception);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A key whose flight a batch run owns.</summary>
    private readonly record struct BatchMember<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight);

    /// <summary>A missing key a batch caller waits for, with what its read found (a stale value for fail-safe).</summary>
    private readonly record struct BatchWait<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight, EntryRead<T> Previous);
}
