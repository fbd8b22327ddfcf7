using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>
/// The one factory run, for one key (a batch of one) or many: re-read when another write landed since the callers'
/// read, take the cross-process lock, call the factory once, encode, write with one store call, then complete the
/// flights; and the one home of what a waiting caller gets when a run fails or outlasts its timeouts (fail-safe,
/// throttles, soft and hard timeouts).
/// </summary>
internal sealed partial class CachePipeline
{
    // Bumped per key after a run's store write of it lands (or another process's value of it is found). A caller whose
    // miss was read before a bump of its key re-reads once when it becomes the leader, so a run finishing between its
    // read and its join does not cause a second factory run; writes of other keys cost it nothing.
    private readonly KeyGenerations _produced = new();

    /// <summary>Starts the run of flights this caller added; the callers wait on the flights, never on the run.</summary>
    private void Launch<T>(List<FactoryMember<T>> members, FactoryJob<T> job, ObservedOperation? leader)
    {
        if (job.Policy.FactorySoftTimeout is null && job.Policy.FactoryHardTimeout is null)
        {
            // The leader runs the factory inline: no thread hop on the common path.
            _ = RunAsync(members, job, leader);
            return;
        }

        // With a timeout, a factory that blocks its thread before its first await must not hold the caller past it.
        _ = Task.Run(() => RunAsync(members, job, leader));
    }

    /// <summary>Fresh hits past the eager-refresh threshold: one background run for the keys not already running.</summary>
    private void StartEagerRefresh<T>(List<(CacheKey Key, EntryRead<T> Current)> hits, FactoryJob<T> job)
    {
        List<FactoryMember<T>>? owned = null;
        foreach (var (key, current) in hits)
        {
            var flightKey = new FlightKey(key.StoreKey, typeof(T));
            if (_flights.ContainsKey(flightKey))
            {
                continue;
            }

            var flight = new Flight<T>(background: true);
            if (!_flights.TryAdd(flightKey, flight))
            {
                flight.Dispose();
                continue;
            }

            Log.EagerRefreshStarted(_logger, _name, key.Key);
            (owned ??= []).Add(new FactoryMember<T>(key, flightKey, flight, current));
        }

        if (owned is not null)
        {
            _ = Task.Run(() => RunAsync(owned, job, leader: null));
        }
    }

    /// <summary>
    /// The run; never throws (every outcome completes every flight). Values are encoded and written (one store call)
    /// before the flights complete, so a caller's next read sees them; keys whose callers all left are not written (a
    /// newer run may have stored a fresher value); a key a batch factory left out completes as omitted.
    /// </summary>
    private async Task RunAsync<T>(List<FactoryMember<T>> members, FactoryJob<T> job, ObservedOperation? leader)
    {
        var (policy, codec) = (job.Policy, job.Codec);

        // The factory's token is cancelled when every caller of every key left: a batch ties its flights' tokens together.
        BatchCancellation? cancellation = null;
        if (members.Count > 1)
        {
            var tokens = new CancellationToken[members.Count];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = members[i].Flight.FactoryToken;
            }

            cancellation = new BatchCancellation(tokens);
        }

        var token = cancellation?.Token ?? members[0].Flight.FactoryToken;
        List<(CacheKey Key, string Token)>? locks = null;
        try
        {
            var running = await RereadAsync(members, codec, policy, token).ConfigureAwait(false);

            if (running.Count == 0)
            {
                return;
            }

            if (!UsesLock(policy))
            {
                await ProduceAsync(running, job, leader, token).ConfigureAwait(false);
                return;
            }

            // Keys this run holds (or cannot lock) first, then the ones another process holds, once they are free.
            locks = [];
            var (ready, held) = await TryEnterLocksAsync(running, codec, policy, locks).ConfigureAwait(false);
            await ProduceAsync(ready, job, leader, token).ConfigureAwait(false);
            await ReleaseLocksAsync(locks).ConfigureAwait(false);
            if (held.Count > 0)
            {
                running = await WaitForLocksAsync(held, codec, policy, locks, token).ConfigureAwait(false);
                await ProduceAsync(running, job, leader, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            foreach (var member in members)
            {
                Fail(member, ex); // completed flights keep their outcome
            }
        }
        finally
        {
            // After the write and after the callers were released, on every path (failure, cancellation, a run its
            // callers left to the background): other processes re-reading then find the value.
            if (locks is not null)
            {
                await ReleaseLocksAsync(locks).ConfigureAwait(false);
            }

            cancellation?.Dispose();
            foreach (var member in members)
            {
                _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(member.FlightKey, member.Flight));
                member.Flight.Dispose();
            }
        }
    }

    /// <summary>Calls the factory once for <paramref name="running"/> (none: nothing to do), then stores what it produced.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProduceAsync<T>(List<FactoryMember<T>> running, FactoryJob<T> job, ObservedOperation? leader, CancellationToken cancellationToken)
    {
        if (running.Count == 0)
        {
            return;
        }

        var context = job.CreateContext(running);
        _metrics.FactoryRun(_name);
        if (leader is not null)
        {
            leader.FactoryRan = true;
        }

        // Before the factory reads anything: its result is dated then (EntryPolicy.DatedAtMs).
        var startedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Produced<T> produced;
        try
        {
            produced = await job.ProduceAsync(running, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Failed(running, job, ex);
            return;
        }

        if (context.FailureReason is { } reason)
        {
            Failed(running, job, new CacheFactoryFailedException(
                $"Cache '{_name}': the {(job.IsBatch ? "batch factory" : "factory")} for a {typeof(T).Name} reported a failure: {reason}"));
            return;
        }

        await StoreProducedAsync(running, job, produced, context, startedAtMs).ConfigureAwait(false);
    }

    /// <summary>
    /// Encodes the produced values (a value the codec cannot write fails its key's callers only), keeps them in memory,
    /// writes them, completes the flights. With a memory tier (unless it awaits store writes) the callers are released
    /// once memory has the values, before the store write ends.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StoreProducedAsync<T>(List<FactoryMember<T>> running, FactoryJob<T> job, Produced<T> produced, CacheFactoryContext context, long startedAtMs)
    {
        var final = job.Policy.With(context, startedAtMs);
        var encoded = context.DoNotCache || final.SkipWrite ? null : new EncodedEntries(running.Count);
        var omitted = 0;
        try
        {
            for (var i = 0; i < running.Count; i++)
            {
                var member = running[i];
                if (!produced.TryGet(member.Key, out var value))
                {
                    // Out of the table first, so a single caller that runs its own factory does not join this flight again.
                    omitted++;
                    Fail(member, new FlightOmittedException());
                    continue;
                }

                member.Flight.SetProduced(value);
                if (encoded is not null && !member.Flight.IsAbandoned)
                {
                    try
                    {
                        var entry = _entries.Encode(member.Key, value, job.Codec, final, null);
                        KeepWritten(member.Key, value, entry, job.Codec, final);
                        encoded.Add(member.Key, entry);
                    }
                    catch (CacheSerializationException ex)
                    {
                        Fail(member, ex); // this key's callers get the codec's error; the others their values
                    }
                }
            }
        }
        catch
        {
            encoded?.Dispose();
            throw;
        }

        if (omitted > 0)
        {
            Log.BatchFactoryOmittedKeys(_logger, _name, omitted, running.Count);
        }

        var releasedEarly = _memory is { AwaitStoreWrites: false } && !final.SkipLocalWrite;
        if (releasedEarly)
        {
            Release(running, encoded);
        }

        if (encoded is { Count: > 0 })
        {
            var write = encoded.Count == 1
                ? _tier.WriteAsync(encoded[0], encoded.BufferAt(0), encoded.OptionsAt(0), CancellationToken.None)
                : _tier.WriteManyAsync(encoded, CancellationToken.None);
            await WrittenAsync(write, new StoreTarget(encoded)).ConfigureAwait(false);
            for (var i = 0; i < encoded.Count; i++)
            {
                var key = encoded[i];
                _produced.Bump(key);
                _throttles.Clear(new FlightKey(key.StoreKey, typeof(T)));
            }
        }
        else
        {
            encoded?.Dispose();
        }

        if (!releasedEarly)
        {
            Release(running, encoded);
        }
    }

    /// <summary>Completes the flights still open: the keys produced and not refused by the codec.</summary>
    private void Release<T>(List<FactoryMember<T>> running, EncodedEntries? encoded)
    {
        for (var i = 0; i < running.Count; i++)
        {
            var flight = running[i].Flight;
            if (flight.Task.IsCompleted || !flight.TryGetProduced(out var value))
            {
                continue;
            }

            if (flight.HasBackgroundInterest && encoded is not null && encoded.Holds(running[i].Key))
            {
                Log.BackgroundFactoryCompleted(_logger, _name, running[i].Key.Key);
            }

            flight.SetResult(value);
        }
    }

    /// <summary>
    /// Reads again the members' keys that another run stored since the callers read them; those now fresh complete with
    /// that value and leave the run. Returns the members to produce (all of them, without a store call, when no key was
    /// stored meanwhile).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<List<FactoryMember<T>>> RereadAsync<T>(List<FactoryMember<T>> members, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        List<int>? stale = null;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (member.Generation >= 0 && member.Generation != _produced.Read(member.Key))
            {
                (stale ??= []).Add(i);
            }
        }

        if (stale is null)
        {
            return members;
        }

        // Not shared: a read already in flight may predate the value this re-read looks for.
        var again = stale.Count == 1
            ? [await ReadAsync<T>(members[stale[0]].Key, codec, policy, null, cancellationToken, share: false).ConfigureAwait(false)]
            : await ReadManyAsync<T>([.. stale.Select(i => members[i].Key)], codec, policy, cancellationToken).ConfigureAwait(false);
        var running = new List<FactoryMember<T>>(members.Count);
        for (int i = 0, next = 0; i < members.Count; i++)
        {
            if (next < stale.Count && stale[next] == i && again[next++].State == ReadState.Fresh)
            {
                members[i].Flight.SetResult(again[next - 1].Value);
            }
            else
            {
                running.Add(members[i]);
            }
        }

        return running;
    }

    /// <summary>
    /// Tries once to take the cross-process lock of each member's key, all at once (CachePipeline.Lock.cs). Keys another
    /// process stored meanwhile complete with its value; the others are ready (to produce now, their locks recorded in
    /// <paramref name="locks"/>) or held by another process (to wait for).
    /// </summary>
    private async ValueTask<(List<FactoryMember<T>> Ready, List<FactoryMember<T>> Held)> TryEnterLocksAsync<T>(
        List<FactoryMember<T>> members, CodecInfo codec, EntryPolicy policy, List<(CacheKey Key, string Token)> locks)
    {
        LockEntry<T>[] entries;
        if (members.Count == 1)
        {
            var m = members[0];
            entries = [await TryEnterLockAsync(m.FlightKey, m.Key, codec, policy, m.Previous).ConfigureAwait(false)];
        }
        else
        {
            // Neither cancelled nor thrown (the tier logs failures), so every lock taken is recorded.
            var tries = new Task<LockEntry<T>>[members.Count];
            for (var i = 0; i < tries.Length; i++)
            {
                var m = members[i];
                tries[i] = TryEnterLockAsync(m.FlightKey, m.Key, codec, policy, m.Previous).AsTask();
            }

            entries = await Task.WhenAll(tries).ConfigureAwait(false);
        }

        return Sort(members, entries, locks);
    }

    /// <summary>Waits for the locks other processes hold, all at once; returns the members still to produce.</summary>
    private async ValueTask<List<FactoryMember<T>>> WaitForLocksAsync<T>(
        List<FactoryMember<T>> held, CodecInfo codec, EntryPolicy policy, List<(CacheKey Key, string Token)> locks, CancellationToken cancellationToken)
    {
        if (held.Count == 1)
        {
            var entry = await WaitForLockAsync<T>(held[0].FlightKey, held[0].Key, codec, policy, cancellationToken).ConfigureAwait(false);
            return Sort(held, [entry], locks).Ready;
        }

        var waits = new Task<LockEntry<T>>[held.Count];
        for (var i = 0; i < waits.Length; i++)
        {
            waits[i] = WaitForLockAsync<T>(held[i].FlightKey, held[i].Key, codec, policy, cancellationToken).AsTask();
        }

        // Every wait ends before a failure (the run's cancellation) is thrown, so a lock one of them took is recorded
        // and the run releases it.
        await ((Task)Task.WhenAll(waits)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var entries = new LockEntry<T>[waits.Length];
        Task? failed = null;
        for (var i = 0; i < waits.Length; i++)
        {
            if (waits[i].IsCompletedSuccessfully)
            {
                entries[i] = waits[i].Result;
            }
            else
            {
                failed ??= waits[i];
            }
        }

        var ready = Sort(held, entries, locks).Ready;
        if (failed is not null)
        {
            await failed.ConfigureAwait(false); // throws
        }

        return ready;
    }

    /// <summary>Completes the members another process produced and records the locks taken; splits the rest.</summary>
    private static (List<FactoryMember<T>> Ready, List<FactoryMember<T>> Held) Sort<T>(
        List<FactoryMember<T>> members, LockEntry<T>[] entries, List<(CacheKey Key, string Token)> locks)
    {
        var ready = new List<FactoryMember<T>>(members.Count);
        var held = new List<FactoryMember<T>>();
        for (var i = 0; i < members.Count; i++)
        {
            var entry = entries[i];
            if (entry.Token is { } taken)
            {
                locks.Add((members[i].Key, taken));
            }

            if (entry.Completed)
            {
                members[i].Flight.SetResult(entry.Value);
            }
            else if (entry.Held)
            {
                held.Add(members[i]);
            }
            else
            {
                ready.Add(members[i]);
            }
        }

        return (ready, held);
    }

    private async ValueTask ReleaseLocksAsync(List<(CacheKey Key, string Token)> locks)
    {
        foreach (var (key, token) in locks)
        {
            await ReleaseLockAsync(key, token).ConfigureAwait(false);
        }

        locks.Clear();
    }

    private void Failed<T>(List<FactoryMember<T>> members, FactoryJob<T> job, Exception exception)
    {
        _metrics.FactoryFailure(_name, exception);
        if (job.IsBatch)
        {
            Log.BatchFactoryFailed(_logger, _name, members.Count, exception);
        }
        else
        {
            Log.FactoryFailed(_logger, _name, members[0].Key.Key, exception);
        }

        if (members.Exists(m => m.Flight.HasBackgroundInterest))
        {
            // Nobody may be left to see this exception: say so at warning level (without the keys).
            Log.BackgroundFactoryFailed(_logger, _name, typeof(T).Name, exception.GetType().Name);
        }

        foreach (var member in members)
        {
            Fail(member, exception);
        }
    }

    /// <summary>
    /// Completes a flight with an exception, out of the table first: a caller arriving after the waiters saw the
    /// exception must start a run of its own, never join the failed one (exceptions are never cached).
    /// </summary>
    private void Fail<T>(FactoryMember<T> member, Exception exception)
    {
        _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(member.FlightKey, member.Flight));
        member.Flight.SetException(exception);
    }

    /// <summary>A stale key whose factory failed recently is served stale without a run (fail-safe throttle).</summary>
    private bool IsThrottled<T>(FlightKey flightKey, CacheKey key, EntryRead<T> previous)
    {
        if (previous.State != ReadState.Stale || !_throttles.IsThrottled(flightKey))
        {
            return false;
        }

        Log.StaleServedThrottled(_logger, _name, key.Key);
        return true;
    }

    /// <summary>
    /// A caller's wait for a key's run passed its timeout: it stops waiting (the run goes on and its result is stored) and
    /// gets the produced value if the factory was in time, else the stale value (soft timeout, or fail-safe); false when
    /// it has nothing, and the caller then throws <see cref="HardTimeout{T}"/>.
    /// </summary>
    private bool TimedOut<T>(FactoryMember<T> member, EntryPolicy policy, TimeSpan? softTimeout, out T value)
    {
        member.Flight.Detach();
        if (member.Flight.TryGetProduced(out value))
        {
            return true; // the factory was in time; only the store write is still running
        }

        value = member.Previous.Value;
        if (softTimeout is { } soft)
        {
            Log.FactorySoftTimeout(_logger, _name, member.Key.Key, soft);
            return true;
        }

        if (member.Previous.State == ReadState.Stale)
        {
            FailOver(member, policy, new TimeoutException($"The factory did not finish within {policy.FactoryHardTimeout}."));
            return true;
        }

        return false;
    }

    private CacheFactoryTimeoutException HardTimeout<T>(EntryPolicy policy)
    {
        var hard = policy.FactoryHardTimeout!.Value;
        Log.FactoryHardTimeout(_logger, _name, typeof(T).Name, hard);
        return new CacheFactoryTimeoutException(
            $"Cache '{_name}': the factory for a {typeof(T).Name} did not finish within {hard} (FactoryHardTimeout); it goes on in the background and its result will be stored.")
        {
            Timeout = hard,
        };
    }

    /// <summary>Fail-safe: a key's run failed and its caller has a stale value, which it gets; the factory is throttled.</summary>
    private T FailOver<T>(FactoryMember<T> member, EntryPolicy policy, Exception exception)
    {
        _throttles.Start(member.FlightKey, policy.FailSafeThrottleDuration);
        Log.FailSafeActivated(_logger, _name, typeof(T).Name, exception.GetType().Name, policy.FailSafeThrottleDuration);
        Log.FailSafeActivatedKey(_logger, _name, member.Key.Key, exception);
        return member.Previous.Value;
    }

    /// <summary>A caller's cancellation: it stops waiting; the last waiter to leave cancels the factory.</summary>
    private void Leave<T>(FactoryMember<T> member)
    {
        if (member.Flight.Leave())
        {
            _flights.TryRemove(new KeyValuePair<FlightKey, Flight>(member.FlightKey, member.Flight));
            Log.FactoryAbandoned(_logger, _name, member.Key.Key);
        }
    }
}
