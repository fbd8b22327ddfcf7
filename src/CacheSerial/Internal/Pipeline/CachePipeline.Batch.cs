using System.Runtime.ExceptionServices;

namespace CacheSerial.Internal;

/// <summary>
/// Bulk get-or-create: one store read for the keys, and one batch factory run for the missing keys this call owns; the
/// keys take part in the same per-key flights as <c>GetOrCreateAsync</c>, so a single caller and a batch caller of one
/// key share one run.
/// </summary>
internal sealed partial class CachePipeline
{
    public async ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<T>(CacheKey[] unique, FactoryJob<T> job, ObservedOperation? observed, CancellationToken cancellationToken)
    {
        var (policy, codec) = (job.Policy, job.Codec);
        var results = new Dictionary<string, T>(unique.Length, StringComparer.Ordinal);
        if (unique.Length > 0)
        {
            // Each key's run generation before the read, for the run to know which keys another run stored meanwhile.
            var generations = new long[unique.Length];
            for (var i = 0; i < generations.Length; i++)
            {
                generations[i] = policy.SkipRead ? -1 : _produced.Read(unique[i]);
            }

            var reads = policy.SkipRead
                ? new EntryRead<T>[unique.Length]
                : await ReadManyAsync<T>(unique, codec, policy, cancellationToken).ConfigureAwait(false);

            List<FactoryMember<T>>? waits = null;
            List<FactoryMember<T>>? owned = null;
            List<(CacheKey, EntryRead<T>)>? refreshDue = null;
            for (var i = 0; i < unique.Length; i++)
            {
                var read = reads[i];
                var key = unique[i];
                if (read.State == ReadState.Fresh)
                {
                    results[key.Key] = read.Value;
                    if (read.RefreshDue)
                    {
                        (refreshDue ??= []).Add((key, read));
                    }

                    continue;
                }

                var flightKey = new FlightKey(key.StoreKey, typeof(T));
                if (IsThrottled(flightKey, key, read))
                {
                    results[key.Key] = read.Value;
                    continue;
                }

                var member = new FactoryMember<T>(key, flightKey, JoinOrAdd<T>(flightKey, out var started), read, generations[i]);
                if (started)
                {
                    (owned ??= []).Add(member);
                }

                (waits ??= []).Add(member);
            }

            if (refreshDue is not null)
            {
                StartEagerRefresh(refreshDue, job);
            }

            if (owned is not null)
            {
                Launch(owned, job, observed);
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
    private async ValueTask WaitForFlightsAsync<T>(List<FactoryMember<T>> waits, EntryPolicy policy, Dictionary<string, T> results, CancellationToken cancellationToken)
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
                    settled[i] = TimedOut(wait, policy, soft, out var value);
                    results[wait.Key.Key] = value;
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
                if (TimedOut(wait, policy, softTimeout: null, out var value))
                {
                    results[wait.Key.Key] = value;
                }
                else
                {
                    failure ??= HardTimeout<T>(policy);
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
                results[wait.Key.Key] = FailOver(wait, policy, error);
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
    private async ValueTask<bool> WaitAllAsync<T>(List<FactoryMember<T>> waits, bool[] settled, TimeSpan? timeout, CancellationToken cancellationToken)
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
                if (!settled[i] && !waits[i].Flight.Task.IsCompleted)
                {
                    Leave(waits[i]);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
