using System.Buffers;

namespace CacheSerial.Internal;

/// <summary>Multi-key store calls for stores without multi-key commands: single calls, a bounded number in flight.</summary>
internal static class StoreBatch
{
    /// <summary>
    /// Calls in flight at once: enough that a 100-key batch costs about two round trips (with 16 it cost twice as much as
    /// 100 reads started together), few enough that a large batch does not flood the store's connection.
    /// </summary>
    public const int MaximumParallelCalls = 64;

    public static async ValueTask<CacheStoreLease[]> GetManyAsync(
        ICacheStore store, IReadOnlyList<string> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken)
    {
        var results = new CacheStoreLease[keys.Count];
        try
        {
            await ForEachAsync(keys.Count, (store, keys, slidingExpiration, results), static async (s, i, ct) =>
                s.results[i] = await s.store.GetAsync(s.keys[i], s.slidingExpiration, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var lease in results)
            {
                lease.Dispose(); // the reads that succeeded before one failed
            }

            throw;
        }

        return results;
    }

    public static ValueTask SetManyAsync(ICacheStore store, IReadOnlyList<CacheStoreEntry> entries, CancellationToken cancellationToken) =>
        ForEachAsync(entries.Count, (store, entries), static (s, i, ct) =>
        {
            var entry = s.entries[i];
            return s.store.SetAsync(entry.Key, new ReadOnlySequence<byte>(entry.Value), entry.Options, ct);
        }, cancellationToken);

    /// <summary>Runs <paramref name="call"/> for 0..count-1, at most <see cref="MaximumParallelCalls"/> at a time; the first failure is thrown after all ended.</summary>
    public static async ValueTask ForEachAsync<TState>(int count, TState state, Func<TState, int, CancellationToken, ValueTask> call, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        var next = -1;
        var workers = new Task[Math.Min(count, MaximumParallelCalls)];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = RunAsync();
        }

        await Task.WhenAll(workers).ConfigureAwait(false);

        async Task RunAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await call(state, i, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
